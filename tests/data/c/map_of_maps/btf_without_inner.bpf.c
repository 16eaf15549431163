// A BTF map of maps that declares no inner map (no __array(values, ...)): libbpf needs the inner map
// from the host (bpf_map__set_inner_map_fd); here a lookup in it cannot be verified.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} outer SEC(".maps");

SEC("socket")
int lookup(void *ctx)
{
    __u32 key = 0;
    void *map = bpf_map_lookup_elem(&outer, &key);

    return map ? 1 : 0;
}

char LICENSE[] SEC("license") = "GPL";
