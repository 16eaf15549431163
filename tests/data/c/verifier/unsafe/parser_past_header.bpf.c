// UNSAFE: checks ip + ihl * 4 against data_end, then reads the byte just past the header.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("xdp")
int parser_past_header(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    struct iphdr *ip = (void *)(eth + 1);
    __u32 header;
    unsigned char *next;

    if ((void *)(ip + 1) > data_end)
        return XDP_PASS;
    header = ip->ihl * 4;
    if ((void *)ip + header > data_end)
        return XDP_DROP;
    next = (unsigned char *)ip + header;
    return *next == 0xff ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
