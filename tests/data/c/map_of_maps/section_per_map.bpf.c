// Legacy maps declared one per `maps/NAME` section (as the ebpf-samples' map_in_map_legacy), the outer
// one naming its inner map by inner_map_idx: 1, the second legacy map (sections in order).
// lookup: outer[0], then key 0 of that inner hash; 0 when either is missing.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map_def_legacy {
    unsigned int type;
    unsigned int key_size;
    unsigned int value_size;
    unsigned int max_entries;
    unsigned int map_flags;
    unsigned int inner_map_idx;
    unsigned int numa_node;
};

struct bpf_map_def_legacy SEC("maps/outer") outer = {
    .type = BPF_MAP_TYPE_HASH_OF_MAPS,
    .key_size = sizeof(__u32),
    .value_size = sizeof(__u32),
    .max_entries = 2,
    .inner_map_idx = 1,
};

struct bpf_map_def_legacy SEC("maps/inner") inner = {
    .type = BPF_MAP_TYPE_HASH,
    .key_size = sizeof(__u32),
    .value_size = sizeof(__u64),
    .max_entries = 16,
};

SEC("socket")
int lookup(void *ctx)
{
    __u32 key = 0;
    void *map = bpf_map_lookup_elem(&outer, &key);
    __u64 *value;

    if (!map)
        return 0;
    value = bpf_map_lookup_elem(map, &key);
    if (!value)
        return 0;
    return *value;
}

char LICENSE[] SEC("license") = "GPL";
