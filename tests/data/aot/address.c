#include "bpftime_aot.h"

const u32 aot_table[4] = {10, 20, 30, 40};

/* Built with -fno-pic: the table's address is an R_X86_64_32 immediate, its elements R_X86_64_32S,
 * so the block lands below 2 GiB and the helper call (far away, in the runtime) needs a stub. */
u64 bpf_main(void *ctx, u64 len)
{
    (void)ctx;
    if (len == 0)
        return (u64)aot_table;
    return _bpf_helper_ext_0001(aot_table[len & 3], len, 0, 0, 0);
}
