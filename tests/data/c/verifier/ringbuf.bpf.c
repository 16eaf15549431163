// Reserves a ring-buffer record, fills it from the context and submits it, or discards it
// when the first byte is zero. Context: 64 bytes of raw memory.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct event {
    __u32 pid;
    __u32 flags;
    __u64 stamp;
};

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096);
} events SEC(".maps");

SEC("socket")
int emit(void *mem)
{
    struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

    if (!e)
        return 0;
    e->pid = *(__u32 *)mem;
    e->flags = *((__u32 *)mem + 1);
    e->stamp = bpf_ktime_get_ns();
    if (*(unsigned char *)mem == 0) {
        bpf_ringbuf_discard(e, 0);
        return 1;
    }
    bpf_ringbuf_submit(e, 0);
    return 2;
}

char LICENSE[] SEC("license") = "GPL";
