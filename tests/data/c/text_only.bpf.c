// Plain C functions in .text only, no program sections (the ubpf style).
// Input: mem = 4 bytes, the little-endian u32 6 (r1 = mem, r2 = 4).
// bpf_main: r0 = factorial(6) = 720.
typedef unsigned long long u64;
typedef unsigned int u32;

static __attribute__((noinline)) u64 factorial(u32 n)
{
    u64 result = 1;

#pragma clang loop unroll(disable)
    for (u32 i = 2; i <= n && i < 21; i++)
        result *= i;
    return result;
}

u64 bpf_main(void *mem)
{
    return factorial(*(u32 *)mem);
}
