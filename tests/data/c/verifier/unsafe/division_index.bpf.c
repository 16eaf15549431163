// UNSAFE: hides an index behind a division by a value from the context: x / d can still be x.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32[16]);
} slots SEC(".maps");

SEC("socket")
int division_index(void *mem)
{
    __u32 key = 0;
    __u32 x = ((__u32 *)mem)[0] & 255;
    __u32 d = ((__u32 *)mem)[1];
    __u32 *row = bpf_map_lookup_elem(&slots, &key);

    if (!row || d == 0)
        return 0;
    return row[x / d];
}

char LICENSE[] SEC("license") = "GPL";
