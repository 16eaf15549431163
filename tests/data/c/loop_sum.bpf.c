// Sums the first 16 bytes of raw memory through a stack buffer.
// Input: mem = 16 bytes 0x01 0x02 ... 0x10 (r1 = mem, r2 = 16).
// Expected r0 = 136 (1 + 2 + ... + 16).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int sum_bytes(void *mem)
{
    volatile unsigned char buf[16];
    unsigned char *src = mem;
    int total = 0;

#pragma clang loop unroll(disable)
    for (int i = 0; i < 16; i++)
        buf[i] = src[i];
#pragma clang loop unroll(disable)
    for (int i = 0; i < 16; i++)
        total += buf[i];
    return total;
}

char LICENSE[] SEC("license") = "GPL";
