// UNSAFE: the (mem, len) histogram with an off-by-one bound: mem[len] is read on the last round.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int histogram_past_len(unsigned char *mem, __u64 len)
{
    __u32 buckets[16] = {};
    __u32 best = 0;

    for (__u64 i = 0; i <= len; i++)
        buckets[mem[i] >> 4]++;
    for (int b = 0; b < 16; b++)
        if (buckets[b] > best)
            best = buckets[b];
    return best;
}

char LICENSE[] SEC("license") = "GPL";
