// Values guarded by a bpf_spin_lock: bump() adds 1 to a and 2 to b under the lock with plain
// (non-atomic) arithmetic, so concurrent runs lose nothing only if the lock works. The host may
// update the value with BPF_F_LOCK.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct counter {
    struct bpf_spin_lock lock;
    __u32 pad;
    __u64 a;
    __u64 b;
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, __u32);
    __type(value, struct counter);
    __uint(max_entries, 1);
} counters SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __type(key, __u32);
    __type(value, struct counter);
    __uint(max_entries, 4);
} by_key SEC(".maps");

SEC("socket")
int bump(void *ctx)
{
    __u32 key = 0;
    struct counter *c = bpf_map_lookup_elem(&counters, &key);
    struct counter *h = bpf_map_lookup_elem(&by_key, &key);

    if (!c || !h)
        return 0;
    bpf_spin_lock(&c->lock);
    c->a += 1;
    c->b += 2;
    bpf_spin_unlock(&c->lock);
    bpf_spin_lock(&h->lock);
    h->a += 1;
    bpf_spin_unlock(&h->lock);
    return 1;
}

char LICENSE[] SEC("license") = "GPL";
