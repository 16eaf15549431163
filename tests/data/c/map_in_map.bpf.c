// Map-in-map: an array of maps whose slot 0 is initialised to the array `inner_a`.
// Input: none (r1 = 0, r2 = 0).
// lookup_inner: looks up outer[0], then key 0 in that inner map.
//   Expected r0 = 0 when the host puts inner_a in outer[0] (as libbpf does from the initialiser);
//   r0 = -1 when outer[0] is empty.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct inner_map {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} inner_a SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, 2);
    __type(key, __u32);
    __array(values, struct inner_map);
} outer SEC(".maps") = {
    .values = { [0] = &inner_a },
};

SEC("socket")
int lookup_inner(void *ctx)
{
    __u32 key = 0;
    __u32 *value;
    void *inner = bpf_map_lookup_elem(&outer, &key);

    if (!inner)
        return -1;
    value = bpf_map_lookup_elem(inner, &key);
    if (!value)
        return -1;
    return *value;
}

char LICENSE[] SEC("license") = "GPL";
