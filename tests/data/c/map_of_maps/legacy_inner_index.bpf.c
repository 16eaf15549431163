// Maps of maps in the legacy `maps` section, in the 28-byte definition of the kernel samples' loader:
// inner_map_idx names the inner map by its index among the legacy maps (by offset).
// lookup: outer[0], then key 0 of that inner map; 0 when either is missing.
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

struct bpf_map_def_legacy SEC("maps") inner = {
    .type = BPF_MAP_TYPE_ARRAY,
    .key_size = sizeof(__u32),
    .value_size = 16,
    .max_entries = 4,
};

struct bpf_map_def_legacy SEC("maps") outer = {
    .type = BPF_MAP_TYPE_ARRAY_OF_MAPS,
    .key_size = sizeof(__u32),
    .inner_map_idx = 0,
    .max_entries = 8,
};

SEC("socket")
int lookup(void *ctx)
{
    __u32 key = 0;
    void *map = bpf_map_lookup_elem(&outer, &key);
    __u32 *value;

    if (!map)
        return 0;
    value = bpf_map_lookup_elem(map, &key);
    if (!value)
        return 0;
    return value[3];
}

char LICENSE[] SEC("license") = "GPL";
