// A map declared the old way, in a `maps` section as struct bpf_map_def.
// Input: none (r1 = 0, r2 = 0).
// bump: adds 3 to legacy_counts[1] (array, starts at 0) and returns the new value.
//   Expected r0 = 3 on the first run.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct legacy_map_def {
    unsigned int type;
    unsigned int key_size;
    unsigned int value_size;
    unsigned int max_entries;
    unsigned int map_flags;
};

struct legacy_map_def legacy_counts SEC("maps") = {
    .type = BPF_MAP_TYPE_ARRAY,
    .key_size = sizeof(__u32),
    .value_size = sizeof(__u64),
    .max_entries = 2,
};

struct legacy_map_def legacy_hash SEC("maps") = {
    .type = BPF_MAP_TYPE_HASH,
    .key_size = sizeof(__u64),
    .value_size = sizeof(__u32),
    .max_entries = 16,
    .map_flags = 0,
};

SEC("socket")
int bump(void *ctx)
{
    __u32 key = 1;
    __u64 *value = bpf_map_lookup_elem(&legacy_counts, &key);

    if (!value)
        return -1;
    *value += 3;
    return (int)*value;
}

char LICENSE[] SEC("license") = "GPL";
