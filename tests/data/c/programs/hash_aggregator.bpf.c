// Aggregates flows in a hash map. Input (raw memory): struct sample { __u32 flow; __u32 bytes; }.
// stats[flow] accumulates packets and bytes (atomically, so that runs may be concurrent); recent
// (an LRU hash of 4) remembers the last flows seen; totals() walks stats with bpf_for_each_map_elem
// and bpf_loop and stores the sums in .bss, then prints them with bpf_printk.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct sample {
    __u32 flow;
    __u32 bytes;
};

struct flow_stats {
    __u64 packets;
    __u64 bytes;
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __type(key, __u32);
    __type(value, struct flow_stats);
    __uint(max_entries, 64);
} stats SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __type(key, __u32);
    __type(value, __u64);
    __uint(max_entries, 4);
} recent SEC(".maps");

__u64 total_packets;
__u64 total_bytes;
__u64 loop_sum;

SEC("socket")
int aggregate(struct sample *s)
{
    __u32 flow = s->flow;
    struct flow_stats *st = bpf_map_lookup_elem(&stats, &flow);
    __u64 stamp = bpf_ktime_get_ns();

    if (!st) {
        struct flow_stats zero = {};
        long err = bpf_map_update_elem(&stats, &flow, &zero, BPF_NOEXIST);
        if (err && err != -17 /* EEXIST: another run inserted it first */)
            return -1;
        st = bpf_map_lookup_elem(&stats, &flow);
        if (!st)
            return -1;
    }
    __sync_fetch_and_add(&st->packets, 1);
    __sync_fetch_and_add(&st->bytes, s->bytes);
    bpf_map_update_elem(&recent, &flow, &stamp, BPF_ANY);
    return st->packets;
}

struct walk {
    __u64 packets;
    __u64 bytes;
};

static long add_flow(void *map, __u32 *key, struct flow_stats *value, struct walk *w)
{
    w->packets += value->packets;
    w->bytes += value->bytes;
    return 0;
}

static long add_index(__u32 index, __u64 *sum)
{
    *sum += index;
    return 0;
}

SEC("socket")
int totals(void *ctx)
{
    struct walk w = {};
    __u64 sum = 0;
    long flows = bpf_for_each_map_elem(&stats, add_flow, &w, 0);

    bpf_loop(10, add_index, &sum, 0);
    total_packets = w.packets;
    total_bytes = w.bytes;
    loop_sum = sum;
    bpf_printk("flows=%ld packets=%llu bytes=%llu", flows, w.packets, w.bytes);
    return flows;
}

char LICENSE[] SEC("license") = "GPL";
