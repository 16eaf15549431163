// A sample exercising most eBPF instruction forms clang emits, for checking the disassembler
// against llvm-objdump. Rebuild with build.sh in this folder.
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef long long s64;
typedef int s32;

static long (*trace)(const void *fmt, u32 size, ...) = (void *)6;
static u64 (*ktime)(void) = (void *)5;

struct packet {
    u8 kind;
    u8 flags;
    u16 port;
    u32 address;
    u64 stamp;
    s32 delta;
    s64 total;
};

static __attribute__((noinline)) u64 mix(u64 a, u64 b)
{
    a ^= b >> 7;
    a *= 0x9e3779b97f4a7c15ULL;
    return a + (b << 13) - (a >> 3);
}

static __attribute__((noinline)) u64 scale(u64 value, u32 by)
{
    if (by == 0)
        return value;
    return (value >> 2) / by + value % 7 + ((s64)value >> 9);
}

__attribute__((section("classifier"), used)) int classify(struct packet *p)
{
    u64 stack[4];
    u32 small = p->address;
    u16 port = __builtin_bswap16(p->port);
    u32 swapped = __builtin_bswap32(small);
    u64 big = __builtin_bswap64(p->stamp);

    stack[0] = big;
    stack[1] = mix(big, p->stamp);
    stack[2] = (u64)scale(p->total, p->delta);
    stack[3] = 0x1122334455667788ULL;

    if (p->kind > 3)
        return -1;
    if (port < 1024 && (p->flags & 0x80))
        small += 17;
    if ((s32)swapped < -5)
        small -= swapped;
    if (p->delta >= 100 || p->total <= -40000)
        small *= 3;
    if (small != 7 && small >= port)
        small = small / 5 + small % 9;

    __sync_fetch_and_add(&stack[0], 2);
    __sync_fetch_and_or(&stack[1], 0x10);
    u64 old = __sync_fetch_and_add(&stack[2], 5);
    u64 seen = __sync_val_compare_and_swap(&stack[3], old, big);
    u64 prev = __sync_lock_test_and_set(&stack[1], seen);
    __sync_fetch_and_xor(&stack[2], prev);
    __sync_fetch_and_and(&stack[0], 0xff);

    p->port = port;
    p->flags = (u8)(small >> 3);
    p->address = small ^ swapped;
    p->stamp = stack[0] + stack[1] + stack[2] + stack[3] + ktime();
    p->total = -(s64)p->total >> 4;
    trace("x", 2, small);
    return (int)(small & 0xffff) | (int)(big >> 60);
}

__attribute__((section("loops"), used)) u64 loop_sum(u32 *data)
{
    u64 sum = 0;
    for (int i = 0; i < 16; i++) {
        u32 v = data[i];
        if (v == 0)
            break;
        sum += (v & 1) ? v << 1 : v >> 1;
        if ((s32)v < 0)
            sum -= v;
    }
    return sum;
}
