// The checksum loop reading one byte past the checked length (i <= length): must be refused.
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
    for (__u32 i = 0; i <= length; i++)
        sum += payload[i];
    return sum & 1 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
