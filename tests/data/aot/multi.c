#include "bpftime_aot.h"

/* Not provided by the runtime: a weak reference resolves to 0. */
extern u64 optional_hook(u64) __attribute__((weak));

/* Two programs in one object (no metadata: every global function is a program). */
u64 first(void *ctx, u64 len)
{
    (void)ctx;
    return optional_hook ? optional_hook(len) : len + 7;
}

u64 second(void *ctx, u64 len)
{
    (void)ctx;
    return _bpf_helper_ext_0001(len, len, 0, 0, 0);
}
