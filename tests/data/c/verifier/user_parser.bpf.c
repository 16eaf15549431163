// Parses Ethernet + IPv4 with options: the header length comes from the packet (ihl * 4), so the
// bound checked against data_end is a register, not a constant. Drops packets whose last option
// byte is 0xff; passes the rest.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("xdp")
int parse_ipv4(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    struct iphdr *ip = (void *)(eth + 1);
    __u32 header;
    unsigned char *last;

    if ((void *)(ip + 1) > data_end)
        return XDP_PASS;
    if (eth->h_proto != bpf_htons(ETH_P_IP))
        return XDP_PASS;
    header = ip->ihl * 4;
    if (header < sizeof(*ip))
        return XDP_DROP;
    if ((void *)ip + header > data_end)
        return XDP_DROP;
    last = (unsigned char *)ip + header - 1;
    return *last == 0xff ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
