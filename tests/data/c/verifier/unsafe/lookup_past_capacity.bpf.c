// The table lookup with the capacity check one too large (count may be 65): must be refused.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct table {
    __u64 count;
    __u64 want;
    __u8 items[64];
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct table);
} tables SEC(".maps");

SEC("xdp")
int lookup(struct xdp_md *ctx)
{
    __u32 key = 0;
    struct table *t = bpf_map_lookup_elem(&tables, &key);
    __u64 want, count;

    if (!t)
        return XDP_PASS;
    want = t->want;
    count = t->count;
    if (want >= count)
        return XDP_DROP;
    asm volatile("" : "+r"(count));
    if (count > sizeof(t->items) + 1)
        return XDP_DROP;
    return t->items[want] ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
