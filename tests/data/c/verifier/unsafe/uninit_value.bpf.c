// UNSAFE: passes a partly uninitialised struct to bpf_map_update_elem.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct pair {
    __u64 a;
    __u64 b;
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, __u32);
    __type(value, struct pair);
} pairs SEC(".maps");

SEC("socket")
int uninit_value(void *mem)
{
    __u32 key = 1;
    struct pair value;

    value.a = *(__u64 *)mem;
    bpf_map_update_elem(&pairs, &key, &value, BPF_ANY);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
