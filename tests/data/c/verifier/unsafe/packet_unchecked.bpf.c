// UNSAFE: reads the IPv4 header after checking only the Ethernet header against data_end.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int packet_unchecked(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    struct iphdr *ip = (void *)(eth + 1);

    if ((void *)(eth + 1) > data_end)
        return XDP_DROP;
    return ip->protocol == 17 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
