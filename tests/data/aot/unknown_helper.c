#include "bpftime_aot.h"

BPFTIME_HELPER(0099);

u64 bpf_main(void *ctx, u64 len)
{
    (void)ctx;
    return _bpf_helper_ext_0099(len, 0, 0, 0, 0);
}
