// Host-set .rodata: constants the verifier folds, which a host may replace before the load.
// slot indexes a 4-entry .bss table: safe for 0..3, out of bounds for anything else.
// rounds bounds a loop: 10 is proven to end; a huge value is memory-safe but not proven to end.
// No context: both programs run with r1 = r2 = 0.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct settings {
    __u32 slot;
    __u32 rounds;
};

const volatile struct settings settings = { .slot = 2, .rounds = 10 };

__u64 table[4];

SEC("socket")
__u64 pick(void *ctx)
{
    table[settings.slot] += 1;
    return table[settings.slot] * 100 + settings.slot;
}

SEC("socket")
__u64 spin(void *ctx)
{
    __u64 sum = 0;
    __u32 n = settings.rounds;
#pragma clang loop unroll(disable)
    for (__u32 i = 0; i < n; i++)
        sum = sum * 31 + table[i & 3] + i;
    return sum;
}

char LICENSE[] SEC("license") = "GPL";
