// UNSAFE: indexes a map value with a number from the context without bounding it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64[8]);
} table SEC(".maps");

SEC("socket")
int oob_index(void *mem)
{
    __u32 key = 0;
    __u32 index = *(__u32 *)mem;
    __u64 *row = bpf_map_lookup_elem(&table, &key);

    if (!row)
        return 0;
    return row[index];
}

char LICENSE[] SEC("license") = "GPL";
