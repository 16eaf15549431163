// UNSAFE: forgets to submit or discard the reserved record when the first byte is zero.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096);
} events SEC(".maps");

SEC("socket")
int ringbuf_leak(void *mem)
{
    __u64 *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

    if (!e)
        return 0;
    *e = *(__u64 *)mem;
    if (*(unsigned char *)mem == 0)
        return 1;
    bpf_ringbuf_submit(e, 0);
    return 2;
}

char LICENSE[] SEC("license") = "GPL";
