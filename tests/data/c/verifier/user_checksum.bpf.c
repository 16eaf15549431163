// Sums the payload of a record whose length comes from the packet itself: a 16-bit length field
// checked against data_end, then every byte below that length read in a loop. The index is
// bounded only by another register (the length), never by a constant.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int checksum(struct xdp_md *ctx)
{
    unsigned char *data = (void *)(long)ctx->data;
    unsigned char *data_end = (void *)(long)ctx->data_end;
    unsigned char *payload = data + 4;
    __u16 length;
    __u32 sum = 0;

    if (payload > data_end)
        return XDP_ABORTED;
    length = *(__u16 *)data;
    if (payload + length > data_end)
        return XDP_DROP;
    for (__u32 i = 0; i < length; i++)
        sum += payload[i];
    return sum & 1 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
