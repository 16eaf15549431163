#include "bpftime_aot.h"

/* Two helper calls: (len + 10) * 6 + 4. */
u64 bpf_main(void *ctx, u64 len)
{
    (void)ctx;
    u64 a = _bpf_helper_ext_0001(len, 10, 0, 0, 0);
    return _bpf_helper_ext_0002(a, 6, 4, 0, 0);
}
