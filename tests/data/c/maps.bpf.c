// BTF-defined maps: an array and a hash.
// Input: none (r1 = 0, r2 = 0).
// count_calls: increments counts[0] (array, starts at 0) and returns the new value.
//   Expected r0 = 1 on the first run, 2 on the second.
// remember: stores 7 under key 5 in the hash `seen`, reads it back and returns value + 1.
//   Expected r0 = 8.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct pair {
    __u32 a;
    __u64 b;
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u64);
} counts SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 64);
    __type(key, __u32);
    __type(value, struct pair);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
} seen SEC(".maps");

SEC("socket")
int count_calls(void *ctx)
{
    __u32 key = 0;
    __u64 *value = bpf_map_lookup_elem(&counts, &key);

    if (!value)
        return -1;
    *value += 1;
    return (int)*value;
}

SEC("socket")
int remember(void *ctx)
{
    __u32 key = 5;
    struct pair in = { .a = 7, .b = 0 };
    struct pair *out;

    bpf_map_update_elem(&seen, &key, &in, BPF_ANY);
    out = bpf_map_lookup_elem(&seen, &key);
    if (!out)
        return -1;
    return out->a + 1;
}

char LICENSE[] SEC("license") = "GPL";
