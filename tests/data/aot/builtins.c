#include "bpftime_aot.h"

/* Block copies of run-time size become calls to memcpy, memset, memmove and bcmp. */
u64 bpf_main(void *ctx, u64 len)
{
    u8 *bytes = ctx;
    u8 buffer[256];
    if (len > 128)
        return 0;
    __builtin_memset(buffer, 0x11, sizeof buffer);
    __builtin_memcpy(buffer, bytes, len);
    __builtin_memmove(buffer + 1, buffer, len);        /* overlapping, forwards */
    __builtin_memmove(bytes, bytes + 1, len - 1);      /* overlapping, backwards */
    u64 sum = 0;
    for (u64 i = 0; i < len + 2; i++)
        sum = sum * 31 + buffer[i];
    if (__builtin_memcmp(buffer + 1, bytes, len) == 0)
        sum += 1;
    return sum;
}
