// Tail-call dispatcher. Input (raw memory): struct request { __u32 op; __u32 arg; __u64 result; }.
// dispatch() jumps to handlers[op]; each handler writes its result into the request and counts
// itself in calls[op]. An op without a handler falls through and returns 0xdead.
// chain() tail calls itself through handlers[3] until the kernel's limit stops it, counting in depth.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct request {
    __u32 op;
    __u32 arg;
    __u64 result;
};

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u32);
} handlers SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, __u32);
    __type(value, __u64);
    __uint(max_entries, 4);
} calls SEC(".maps");

__u64 depth;

static __always_inline void counted(__u32 op)
{
    __u64 *n = bpf_map_lookup_elem(&calls, &op);
    if (n)
        __sync_fetch_and_add(n, 1);
}

SEC("socket")
int dispatch(struct request *req)
{
    bpf_tail_call(req, &handlers, req->op);
    return 0xdead;
}

SEC("socket")
int double_it(struct request *req)
{
    req->result = (__u64)req->arg * 2;
    counted(0);
    return 1;
}

SEC("socket")
int square_it(struct request *req)
{
    req->result = (__u64)req->arg * req->arg;
    counted(1);
    return 2;
}

SEC("socket")
int negate_it(struct request *req)
{
    req->result = -(__s64)req->arg;
    counted(2);
    return 3;
}

SEC("socket")
int chain(struct request *req)
{
    depth++;
    bpf_tail_call(req, &handlers, 3);
    return depth;
}

char LICENSE[] SEC("license") = "GPL";
