// Copies the first 32 bytes of the context into a stack buffer and then into a map value,
// byte by byte, and returns the sum of the copied bytes.
// Context: 64 bytes of raw memory.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, char[32]);
} copies SEC(".maps");

static __attribute__((noinline)) void copy_bytes(volatile char *dst, const char *src, int n)
{
    for (int i = 0; i < n && i < 32; i++)
        dst[i] = src[i];
}

SEC("socket")
int memcpy_prog(void *mem)
{
    volatile char buf[32];
    __u32 key = 0;
    char *value;
    int sum = 0;

    copy_bytes(buf, mem, 32);
    value = bpf_map_lookup_elem(&copies, &key);
    if (!value)
        return 0;
#pragma clang loop unroll(disable)
    for (int i = 0; i < 32; i++) {
        value[i] = buf[i];
        sum += (unsigned char)buf[i];
    }
    return sum;
}

char LICENSE[] SEC("license") = "GPL";
