// A host-defined context read through CO-RE: the program is compiled against its own layout of
// struct packet_info; the host declares the real layout (other offsets), and the loader relocates
// the field accesses. classify() marks the packet (mark is writable) and returns len * 10 + mark.
// tamper() writes len, which the host declares read-only.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct packet_info {
    __u32 len;
    __u32 mark;
    __u64 timestamp;
} __attribute__((preserve_access_index));

SEC("socket")
int classify(struct packet_info *info)
{
    __u32 len = info->len;

    if (bpf_core_field_exists(info->mark))
        info->mark = len > 100 ? 2 : 1;
    return len * 10 + info->mark + (info->timestamp == 7 ? 1000 : 0);
}

SEC("socket")
int tamper(struct packet_info *info)
{
    info->len = 0;
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
