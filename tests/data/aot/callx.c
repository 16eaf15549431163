#include "bpftime_aot.h"

/* ctx holds u64 id, r1, r2, r3: calls that helper by id and adds 1000. */
u64 bpf_main(void *ctx, u64 len)
{
    const u64 *args = ctx;
    (void)len;
    return _bpf_helper_by_id(args[0], args[1], args[2], args[3], 0, 0) + 1000;
}
