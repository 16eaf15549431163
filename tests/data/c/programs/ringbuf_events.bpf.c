// Ring-buffer event producer. Input (raw memory): struct input { __u64 value; __u32 kind; }.
// Each run reserves an event, fills it and submits it (kind 0), discards it (kind 1), or copies it
// with bpf_ringbuf_output (kind 2). Refused reservations are counted in `dropped` (.bss).
// Returns the ring's available data after the run.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct input {
    __u64 value;
    __u32 kind;
};

struct event {
    __u32 pid;
    __u32 tid;
    __u64 seq;
    __u64 value;
    __u64 time_ns;
    char comm[16];
};

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 64 * 1024);
} events SEC(".maps");

__u64 seq;
__u64 dropped;

SEC("socket")
int produce(struct input *in)
{
    __u64 id = bpf_get_current_pid_tgid();
    struct event *e;

    if (in->kind == 2) {
        struct event copy = {};
        copy.pid = id >> 32;
        copy.tid = (__u32)id;
        copy.seq = __sync_fetch_and_add(&seq, 1);
        copy.value = in->value;
        copy.time_ns = bpf_ktime_get_ns();
        bpf_get_current_comm(copy.comm, sizeof(copy.comm));
        if (bpf_ringbuf_output(&events, &copy, sizeof(copy), 0))
            __sync_fetch_and_add(&dropped, 1);
        return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
    }
    e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e) {
        __sync_fetch_and_add(&dropped, 1);
        return -1;
    }
    e->pid = id >> 32;
    e->tid = (__u32)id;
    e->seq = __sync_fetch_and_add(&seq, 1);
    e->value = in->value;
    e->time_ns = bpf_ktime_get_ns();
    bpf_get_current_comm(e->comm, sizeof(e->comm));
    if (in->kind == 1)
        bpf_ringbuf_discard(e, 0);
    else
        bpf_ringbuf_submit(e, 0);
    return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
}

char LICENSE[] SEC("license") = "GPL";
