// Loop-heavy kernels for comparing the engines with native code. Each takes (memory, length) as
// r1/r2 and returns a checksum in r0. build.sh compiles this one source twice: for eBPF
// (clang-14 -O2 -target bpf; the raw .bin files are the section of each program, loaded as bytecode)
// and natively (clang-14 -O3 -fPIC, bench.native.o: one global function per kernel, the AOT linker's
// `u64 fn(void *ctx, u64 len)` entry), so every engine and native code run the same C.
typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned char u8;

#ifdef __bpf__
#define SEC(name) __attribute__((section(name), used))
#else
/* Natively each kernel is a plain global function in .text. */
#define SEC(name)
#endif

static inline u32 log2_u64(u64 v)
{
    u32 r = 0;
    if (v >> 32) { v >>= 32; r += 32; }
    if (v >> 16) { v >>= 16; r += 16; }
    if (v >> 8) { v >>= 8; r += 8; }
    if (v >> 4) { v >>= 4; r += 4; }
    if (v >> 2) { v >>= 2; r += 2; }
    if (v >> 1) { r += 1; }
    return r;
}

/* Sum of floor(log2(x)) over an array of u64. */
SEC("log2")
u64 log2_sum(u64 *values, u64 length)
{
    u64 sum = 0;
    for (u64 i = 0; i < length / 8; i++)
        sum += log2_u64(values[i]);
    return sum;
}

/* Copies the first half of the memory into the second, 8 bytes at a time. */
SEC("memcpy")
u64 copy_half(u8 *memory, u64 length)
{
    volatile u64 *source = (volatile u64 *)memory;
    volatile u64 *target = (volatile u64 *)(memory + length / 2);
    u64 words = length / 16;
    for (u64 i = 0; i < words; i++)
        target[i] = source[i];
    return words;
}

/* Counts the primes below the u32 at memory[0], by trial division. */
SEC("primes")
u64 count_primes(u32 *memory, u64 length)
{
    u32 limit = memory[0];
    u64 count = 0;
    for (u32 n = 2; n < limit; n++) {
        int prime = 1;
        for (u32 d = 2; d * d <= n; d++) {
            if (n % d == 0) {
                prime = 0;
                break;
            }
        }
        count += prime;
    }
    return count;
}

/* Compares two NUL-terminated strings that fill the two halves of the memory, 16 times. */
SEC("strcmp")
u64 compare_strings(u8 *memory, u64 length)
{
    u64 result = 0;
    for (int round = 0; round < 16; round++) {
        volatile u8 *a = memory;
        volatile u8 *b = memory + length / 2;
        u64 i = 0;
        while (a[i] != 0 && a[i] == b[i])
            i++;
        result += i + (u64)(a[i] - b[i]);
    }
    return result;
}

/* A 64-way switch over every byte of the memory. */
SEC("switch")
u64 switch64(u8 *memory, u64 length)
{
    u64 state = 0;
    for (u64 i = 0; i < length; i++) {
        u8 b = memory[i];
        switch (b & 63) {
#define CASE(n) case n: state = state * (n + 3) + (b ^ n); break;
        CASE(0) CASE(1) CASE(2) CASE(3) CASE(4) CASE(5) CASE(6) CASE(7)
        CASE(8) CASE(9) CASE(10) CASE(11) CASE(12) CASE(13) CASE(14) CASE(15)
        CASE(16) CASE(17) CASE(18) CASE(19) CASE(20) CASE(21) CASE(22) CASE(23)
        CASE(24) CASE(25) CASE(26) CASE(27) CASE(28) CASE(29) CASE(30) CASE(31)
        CASE(32) CASE(33) CASE(34) CASE(35) CASE(36) CASE(37) CASE(38) CASE(39)
        CASE(40) CASE(41) CASE(42) CASE(43) CASE(44) CASE(45) CASE(46) CASE(47)
        CASE(48) CASE(49) CASE(50) CASE(51) CASE(52) CASE(53) CASE(54) CASE(55)
        CASE(56) CASE(57) CASE(58) CASE(59) CASE(60) CASE(61) CASE(62) CASE(63)
#undef CASE
        }
    }
    return state;
}
