// An XDP program that passes IPv4 frames and drops everything else.
// Input: a struct xdp_md whose data..data_end covers a 14-byte Ethernet header.
//   EtherType 0x0800 (bytes 12..13 = 08 00): expected r0 = 2 (XDP_PASS).
//   Any other EtherType, or a frame shorter than 14 bytes: expected r0 = 1 (XDP_DROP).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("xdp")
int xdp_ipv4_only(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;

    if ((void *)(eth + 1) > data_end)
        return XDP_DROP;
    if (eth->h_proto != bpf_htons(ETH_P_IP))
        return XDP_DROP;
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
