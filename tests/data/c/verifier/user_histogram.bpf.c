// Counts the bytes of a buffer by their high nibble and returns the fullest bucket's count.
// Context: the (mem, len) contract: r1 points at len bytes, len in r2; every read is below len.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int histogram(unsigned char *mem, __u64 len)
{
    __u32 buckets[16] = {};
    __u32 best = 0;

    for (__u64 i = 0; i < len; i++)
        buckets[mem[i] >> 4]++;
    for (int b = 0; b < 16; b++)
        if (buckets[b] > best)
            best = buckets[b];
    return best;
}

char LICENSE[] SEC("license") = "GPL";
