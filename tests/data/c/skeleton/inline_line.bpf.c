// A read out of bounds inside an __always_inline helper whose instructions clang merged across
// both calls and left without a line (line 0 in the line info): the build points at the nearest
// known line before it and says so.
// Rebuild (from this folder):
//   clang-14 -target bpf -g -O2 -fdebug-prefix-map=$PWD=. -c inline_line.bpf.c -o inline_line.bpf.o
#define SEC(n) __attribute__((section(n), used))
typedef unsigned long long u64;
typedef unsigned char u8;

static __attribute__((always_inline)) u64 pick(const u8 *data, u64 i, int which)
{
    if (which)
        return data[i * 2];
    else
        return data[i * 3];
}

SEC("socket")
u64 reader(const u8 *data, u64 length)
{
    u64 r = pick(data, length & 0xff, length > 3);
    r += pick(data, length & 0x7f, length > 9);
    return r;
}

char LICENSE[] SEC("license") = "GPL";
