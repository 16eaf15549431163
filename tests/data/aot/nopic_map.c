#include "bpftime_aot.h"

BPFTIME_MAP_HANDLE(0);

/* Built with -fno-pic: the map handle's address must fit 32 bits, which a heap address does not. */
u64 bpf_main(void *ctx, u64 len)
{
    (void)ctx;
    return _bpf_helper_ext_0005((u64)_bpf_map_handle_0, len, 0, 0, 0);
}
