#include "bpftime_aot.h"

extern u64 host_function_not_provided(u64);

u64 bpf_main(void *ctx, u64 len)
{
    (void)ctx;
    return host_function_not_provided(len);
}
