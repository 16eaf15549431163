// Programs that call memset, memcpy, memmove and memcmp as undefined functions, which the object
// linker supplies. Built with -fno-builtin, as the calls then stay calls (R_BPF_64_32 against the
// undefined symbol, as in objects from older clang), where clang-14 would otherwise refuse the
// library calls it cannot inline.
// Context: 64 bytes of raw memory (the input). Each program returns a hash of what it built, so
// the tests compare it with the same computation done in C#.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define SIZE 64

void *memset(void *dst, int c, unsigned long n);
void *memcpy(void *dst, const void *src, unsigned long n);
void *memmove(void *dst, const void *src, unsigned long n);
int memcmp(const void *a, const void *b, unsigned long n);

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, unsigned char[4096]);
} scratch SEC(".maps");

static __attribute__((always_inline)) __u64 hash(const unsigned char *buf, int n)
{
    __u64 h = 0;
#pragma clang loop unroll(disable)
    for (int i = 0; i < n; i++)
        h = h * 31 + buf[i];
    return h;
}

// memset of a whole 4096-byte map value with the input's first byte.
SEC("socket")
int fill_value(unsigned char *mem)
{
    __u32 key = 0;
    unsigned char *value = bpf_map_lookup_elem(&scratch, &key);
    if (!value)
        return 0;
    memset(value, mem[0], 4096);
    return value[0] + value[1000] + value[4095];
}

struct event {
    __u64 words[30];
    unsigned char tail[13];
};

// memset of most of a struct on the stack (sizeof 256 with padding; 248 bytes from byte 3, unaligned)
// after filling it from the input.
SEC("socket")
int zero_struct(unsigned char *mem)
{
    struct event e;
    memcpy(&e, mem, SIZE);
    memcpy((unsigned char *)&e + SIZE, mem, SIZE);
    memcpy((unsigned char *)&e + 2 * SIZE, mem, SIZE);
    memcpy((unsigned char *)&e + 3 * SIZE, mem, sizeof(e) - 3 * SIZE);
    memset((unsigned char *)&e + 3, 0, sizeof(e) - 8);
    return hash((unsigned char *)&e, sizeof(e));
}

// memset of a variable prefix of a stack buffer (length mem[0] & 63, byte mem[1]).
SEC("socket")
int fill_prefix(unsigned char *mem)
{
    unsigned char buf[SIZE];
    memcpy(buf, mem, SIZE);
    memset(buf, mem[1], mem[0] & 63);
    return hash(buf, SIZE);
}

// memcpy of a variable length (mem[0] & 31) from the input at offset 7 into a zeroed stack buffer at offset 3.
SEC("socket")
int copy_middle(unsigned char *mem)
{
    unsigned char buf[SIZE];
    memset(buf, 0, SIZE);
    memcpy(buf + 3, mem + 7, mem[0] & 31);
    return hash(buf, SIZE);
}

// memmove within one buffer, both directions, overlapping (lengths mem[0] & 31 and mem[1] & 31).
SEC("socket")
int move_overlapping(unsigned char *mem)
{
    unsigned char buf[SIZE];
    memcpy(buf, mem, SIZE);
    memmove(buf + 5, buf + 2, mem[0] & 31);
    memmove(buf + 1, buf + 11, mem[1] & 31);
    return hash(buf, SIZE);
}

// memcmp of the input's two halves over a variable length (mem[0] & 31): its sign, as -1, 0 or 1.
SEC("socket")
int compare_halves(unsigned char *mem)
{
    int r = memcmp(mem + 32, mem + 1, mem[0] & 31);
    return r < 0 ? -1 : r > 0 ? 1 : 0;
}

char LICENSE[] SEC("license") = "GPL";
