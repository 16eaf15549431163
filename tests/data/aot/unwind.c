#include "bpftime_aot.h"

__attribute__((noinline)) static u64 deep(u64 n)
{
    if (_bpf_helper_ext_0003(n, 0, 0, 0, 0) == 0)
        return 99; /* never reached: the helper stops the program */
    return n * 2;
}

/* Stops with 0 (not 99 or 1099) when len is 0, else returns 2 * len + 1000. */
u64 bpf_main(void *ctx, u64 len)
{
    (void)ctx;
    return deep(len) + 1000;
}
