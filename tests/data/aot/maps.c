#include "bpftime_aot.h"

BPFTIME_MAP_HANDLE(0);
BPFTIME_MAP_VALUE(0);

static u64 twice(u64 x) { return 2 * x; }
static u64 thrice(u64 x) { return 3 * x; }
/* A table of function pointers: R_X86_64_64 relocations in .data.rel.ro. */
static u64 (*const ops[2])(u64) = {twice, thrice};

/* value[0] += ops[len & 1](len) directly, then += 100 through the helper that takes the map handle. */
u64 bpf_main(void *ctx, u64 len)
{
    (void)ctx;
    volatile u64 *value = (volatile u64 *)_bpf_map_value_0;
    *value += ops[len & 1](len);
    return _bpf_helper_ext_0005((u64)_bpf_map_handle_0, 100, 0, 0, 0);
}
