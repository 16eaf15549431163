// UNSAFE: uses a map lookup's result without checking it for NULL.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, __u32);
    __type(value, __u64);
} counts SEC(".maps");

SEC("socket")
int null_deref(void *mem)
{
    __u32 key = *(__u32 *)mem;
    __u64 *count = bpf_map_lookup_elem(&counts, &key);

    *count += 1;
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
