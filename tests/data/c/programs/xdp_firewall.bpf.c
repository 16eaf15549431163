// XDP firewall: drops IPv4 packets whose source address matches a prefix in an LPM trie, counts
// verdicts per CPU, and answers ICMP echo requests in place (XDP_TX). The host fills `blocked`.
// counters[0] = passed, counters[1] = dropped, counters[2] = bounced (XDP_TX), counters[3] = malformed.
// UDP to port 53 is redirected to interface 7 (XDP_REDIRECT through bpf_redirect).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct lpm_v4_key {
    __u32 prefixlen;
    __u32 addr;
};

struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __type(key, struct lpm_v4_key);
    __type(value, __u32);
    __uint(max_entries, 1024);
    __uint(map_flags, BPF_F_NO_PREALLOC);
} blocked SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __type(key, __u32);
    __type(value, __u64);
    __uint(max_entries, 4);
} counters SEC(".maps");

static __always_inline void count(__u32 slot)
{
    __u64 *value = bpf_map_lookup_elem(&counters, &slot);
    if (value)
        *value += 1;
}

SEC("xdp")
int firewall(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    struct iphdr *ip;
    struct lpm_v4_key key;
    __u32 *rule;

    if ((void *)(eth + 1) > data_end) {
        count(3);
        return XDP_ABORTED;
    }
    if (eth->h_proto != bpf_htons(ETH_P_IP)) {
        count(0);
        return XDP_PASS;
    }
    ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > data_end) {
        count(3);
        return XDP_ABORTED;
    }
    key.prefixlen = 32;
    key.addr = ip->saddr;
    rule = bpf_map_lookup_elem(&blocked, &key);
    if (rule) {
        count(1);
        return XDP_DROP;
    }
    if (ip->protocol == IPPROTO_ICMP) {
        // Send it back: swap the addresses (a reflector, not a full echo reply).
        __u32 saddr = ip->saddr;
        unsigned char mac[ETH_ALEN];
        ip->saddr = ip->daddr;
        ip->daddr = saddr;
        __builtin_memcpy(mac, eth->h_source, ETH_ALEN);
        __builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
        __builtin_memcpy(eth->h_dest, mac, ETH_ALEN);
        count(2);
        return XDP_TX;
    }
    if (ip->protocol == IPPROTO_UDP) {
        struct udphdr *udp = (void *)(ip + 1);
        if ((void *)(udp + 1) <= data_end && udp->dest == bpf_htons(53))
            return bpf_redirect(7, 0);
    }
    count(0);
    return XDP_PASS;
}

// Strips a 4-byte VLAN-like tag after the Ethernet addresses by moving the head, and trims 4 bytes
// of trailer: exercises bpf_xdp_adjust_head and bpf_xdp_adjust_tail.
SEC("xdp")
int strip(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    unsigned char addrs[12];

    if (data + 18 > data_end)
        return XDP_ABORTED;
    __builtin_memcpy(addrs, data, 12);
    if (bpf_xdp_adjust_head(ctx, 4))
        return XDP_ABORTED;
    data = (void *)(long)ctx->data;
    data_end = (void *)(long)ctx->data_end;
    if (data + 12 > data_end)
        return XDP_ABORTED;
    __builtin_memcpy(data, addrs, 12);
    if (bpf_xdp_adjust_tail(ctx, -4))
        return XDP_ABORTED;
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
