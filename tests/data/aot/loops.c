#include "bpftime_aot.h"

static const u32 primes[16] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53};
static const char message[] = "bpftime aot linker";

u64 counter;   /* .bss: counts runs */
u64 scale = 3; /* .data */

__attribute__((noinline)) static u64 weigh(u8 byte)
{
    switch (byte % 7) { /* a jump table in .rodata */
    case 0: return 100;
    case 1: return 7 * byte;
    case 2: return byte ^ 0x5a;
    case 3: return byte + 1000;
    case 4: return message[byte % (sizeof message - 1)];
    case 5: return (u64)byte << 3;
    default: return 1;
    }
}

/* sum over bytes of primes[b & 15] + weigh(b), times scale, plus the run count */
u64 bpf_main(void *ctx, u64 len)
{
    const u8 *bytes = ctx;
    u64 sum = 0;
    for (u64 i = 0; i < len; i++)
        sum += primes[bytes[i] & 15] + weigh(bytes[i]);
    counter++;
    return sum * scale + counter;
}
