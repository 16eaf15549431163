// Typed skeleton test object: maps of hash, array and per-CPU kinds with struct keys and values,
// .rodata, .data and .bss, an XDP program and a socket program on raw memory.
// Rebuild (from this folder):
//   clang-14 -target bpf -g -O2 -I/usr/include/$(uname -m)-linux-gnu -fdebug-prefix-map=$PWD=. -c skeleton.bpf.c -o skeleton.bpf.o
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct flow_key {
    __u32 addr;
    __u16 port;
    __u8 proto;
    __u8 pad;
};

struct flow_stats {
    __u64 packets;
    __u64 bytes;
    __u8 tag[6];
    union {
        __u32 mark;
        __u16 halves[2];
    };
    struct {
        __s32 low;
        __s32 high;
    } range;
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 64);
    __type(key, struct flow_key);
    __type(value, struct flow_stats);
} flows SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, struct flow_stats);
} slots SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u64);
} per_cpu_hits SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
    __uint(max_entries, 8);
    __type(key, __u32);
    __type(value, struct flow_key);
} per_cpu_last SEC(".maps");

const volatile __u32 step = 3;
__u64 base = 100;
__u64 total_calls = 0;
__u32 last_length = 0;

SEC("xdp")
int count_packets(struct xdp_md *ctx)
{
    __u32 zero = 0;
    struct flow_stats *slot = bpf_map_lookup_elem(&slots, &zero);
    if (slot) {
        __sync_fetch_and_add(&slot->packets, 1);
        __sync_fetch_and_add(&slot->bytes, ctx->data_end - ctx->data);
    }
    __u64 *hits = bpf_map_lookup_elem(&per_cpu_hits, &zero);
    if (hits)
        *hits += 1;
    return XDP_PASS;
}

SEC("socket")
__u64 record(const __u8 *data, __u64 length)
{
    struct flow_key key = {};
    if (length >= 8) {
        key.addr = data[0] | (data[1] << 8) | (data[2] << 16) | ((__u32)data[3] << 24);
        key.port = data[4] | (data[5] << 8);
        key.proto = data[6];
    }
    struct flow_stats *stats = bpf_map_lookup_elem(&flows, &key);
    if (stats) {
        stats->packets += 1;
        stats->bytes += length;
    } else {
        struct flow_stats fresh = {};
        fresh.packets = 1;
        fresh.bytes = length;
        fresh.mark = 0xabcd;
        fresh.range.low = -1;
        fresh.range.high = 1;
        bpf_map_update_elem(&flows, &key, &fresh, BPF_ANY);
    }
    __u32 cpu_key = 1;
    bpf_map_update_elem(&per_cpu_last, &cpu_key, &key, BPF_ANY);
    __sync_fetch_and_add(&total_calls, 1);
    last_length = length;
    return base + step * length;
}

char LICENSE[] SEC("license") = "GPL";
