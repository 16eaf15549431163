// UNSAFE: loops as many times as the context says, up to 2^32 - 1.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int unbounded_loop(void *mem)
{
    __u32 n = *(__u32 *)mem;
    __u64 sum = 0;

    for (__u32 i = 0; i < n; i++)
        sum += i * i;
    return (int)sum;
}

char LICENSE[] SEC("license") = "GPL";
