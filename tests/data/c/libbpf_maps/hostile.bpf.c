// Programs that misuse a map of maps; the verifier refuses each, and run with run-time checks they
// must fault or be refused, never reach memory or maps they were not given.
// Context: 16 bytes, a u64 number (a forged map) and a u64 selector.
// write_slot: stores a number into what the outer lookup returned (the inner map's handle).
// update_slot: asks bpf_map_update_elem to put a number into the outer map (-EINVAL expected): r0.
// forged_inner: passes the context's number to bpf_map_lookup_elem as a map.
// shifted_inner: passes the outer lookup's result plus 8 as a map.
// read_slot: reads 8 bytes through the outer lookup's result.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct inner_array {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u64);
};

struct inner_array inner SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, 1);
    __type(key, __u32);
    __array(values, struct inner_array);
} outer SEC(".maps") = {
    .values = { [0] = &inner },
};

SEC("socket")
int write_slot(__u64 *ctx)
{
    __u32 key = 0;
    __u64 *slot = bpf_map_lookup_elem(&outer, &key);

    if (!slot)
        return 0;
    *slot = ctx[0];
    return 1;
}

SEC("socket")
int update_slot(__u64 *ctx)
{
    __u32 key = 0;
    __u32 value = (__u32)ctx[0];

    return bpf_map_update_elem(&outer, &key, &value, BPF_ANY);
}

SEC("socket")
int forged_inner(__u64 *ctx)
{
    __u32 key = 0;
    __u64 *value = bpf_map_lookup_elem((void *)ctx[0], &key);

    return value ? *value : 0;
}

SEC("socket")
int shifted_inner(__u64 *ctx)
{
    __u32 key = 0;
    char *slot = bpf_map_lookup_elem(&outer, &key);
    __u64 *value;

    if (!slot)
        return 0;
    value = bpf_map_lookup_elem(slot + 8, &key);
    return value ? *value : 0;
}

SEC("socket")
int read_slot(__u64 *ctx)
{
    __u32 key = 0;
    __u64 *slot = bpf_map_lookup_elem(&outer, &key);

    return slot ? *slot : 0;
}

char LICENSE[] SEC("license") = "GPL";
