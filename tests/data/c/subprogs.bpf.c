// Subprograms: a static one and a global __noinline one called from two programs, two programs
// in one section, and a callback passed to bpf_loop (ld_imm64 of a code address).
// Input for all programs: mem = 8 bytes, the little-endian u64 5 (r1 = mem, r2 = 8).
// first:  r0 = twice(5) + square(5) = 10 + 25 = 35
// second: r0 = square(5) + 1 = 26
// looped: r0 = sum of i for i in 0..4 via bpf_loop(5, add_index, ...) = 10
//         (bpf_loop is helper 181; an engine without it returns what its helper gives).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __attribute__((noinline)) __u64 twice(__u64 x)
{
    return x * 2;
}

__attribute__((noinline)) __u64 square(__u64 x)
{
    return x * x;
}

SEC("socket/first")
__u64 first(void *mem)
{
    __u64 x = *(__u64 *)mem;
    return twice(x) + square(x);
}

SEC("socket/first")
__u64 second(void *mem)
{
    __u64 x = *(__u64 *)mem;
    return square(x) + 1;
}

struct loop_state {
    __u64 total;
};

static long add_index(__u32 index, void *ctx)
{
    struct loop_state *state = ctx;
    state->total += index;
    return 0;
}

SEC("socket")
__u64 looped(void *mem)
{
    struct loop_state state = { 0 };
    __u32 n = (__u32)*(__u64 *)mem;

    bpf_loop(n, add_index, &state, 0);
    return state.total;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
