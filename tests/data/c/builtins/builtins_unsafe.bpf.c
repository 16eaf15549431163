// memset past the end of its buffer: the verifier must refuse both programs, and checked runs fault.
// Built with -fno-builtin, like builtins.bpf.c. Context: 64 bytes of raw memory.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

void *memset(void *dst, int c, unsigned long n);

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, unsigned char[4096]);
} scratch SEC(".maps");

// One byte past the 4096-byte map value.
SEC("socket")
int overrun_value(unsigned char *mem)
{
    __u32 key = 0;
    unsigned char *value = bpf_map_lookup_elem(&scratch, &key);
    if (!value)
        return 0;
    memset(value, mem[0], 4097);
    return value[0];
}

// 16 bytes of stack, 16 + up to 255 bytes written: past the top of the frame.
SEC("socket")
int overrun_stack(unsigned char *mem)
{
    volatile unsigned char buf[16];
    memset((void *)buf, 0, 16 + mem[0]);
    return buf[0];
}

char LICENSE[] SEC("license") = "GPL";
