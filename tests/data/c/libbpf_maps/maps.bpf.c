// libbpf-style declarations that the runtime takes as they are: a program array filled from
// `.values`, an array of maps and a hash of maps (inner maps named in `.values`), and hash, array and
// per-CPU maps with struct values. Context: 8 bytes, the u64 `step` added to the counters.
// count: adds step to stats[1], slots[2] and percpu[0] (struct values; last = step, except in the
//        per-CPU map, which only sums); through outer[0] (inner_a)
//        and outer[1] (inner_b) to their key 0 and key 1; through by_id[3] (inner_h) to key 7
//        (inserting step the first time); then tail-calls jumps[0] (report), or returns 1 when
//        the slot is empty.
// report: 1000 + inner_a[0].count + inner_b[1].count (read through the array of maps).
// hashed: inner_h[7] through by_id[3], or -1 when the slot or the key is absent.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct value {
    __u64 count;
    __u32 hits;
    __u32 last;
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, __u32);
    __type(value, struct value);
} stats SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, struct value);
} slots SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct value);
} percpu SEC(".maps");

struct inner_array {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, struct value);
};

struct inner_array inner_a SEC(".maps");
struct inner_array inner_b SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, 2);
    __type(key, __u32);
    __array(values, struct inner_array);
} outer SEC(".maps") = {
    .values = { [0] = &inner_a, [1] = &inner_b },
};

struct inner_hash {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 8);
    __type(key, __u32);
    __type(value, __u64);
};

struct inner_hash inner_h SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
    __uint(max_entries, 4);
    __type(key, __u32);
    __array(values, struct inner_hash);
} by_id SEC(".maps") = {
    .values = { [3] = &inner_h },
};

int report(void *ctx);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __array(values, int (void *));
} jumps SEC(".maps") = {
    .values = { [0] = (void *)&report },
};

static void add(struct value *value, __u64 step)
{
    __sync_fetch_and_add(&value->count, step);
    value->hits += 1;
    value->last = (__u32)step;
}

SEC("socket")
int count(__u64 *ctx)
{
    __u64 step = *ctx;
    __u32 key = 1;
    struct value fresh = { .count = step, .hits = 1, .last = (__u32)step };
    struct value *value = bpf_map_lookup_elem(&stats, &key);
    void *inner;
    __u64 *counter;

    if (value)
        add(value, step);
    else
        bpf_map_update_elem(&stats, &key, &fresh, BPF_NOEXIST);
    key = 2;
    value = bpf_map_lookup_elem(&slots, &key);
    if (value)
        add(value, step);
    key = 0;
    value = bpf_map_lookup_elem(&percpu, &key);
    if (value) {
        // Only sums: whichever processor slots the runs used, their totals agree.
        __sync_fetch_and_add(&value->count, step);
        __sync_fetch_and_add(&value->hits, 1);
    }

    inner = bpf_map_lookup_elem(&outer, &key);
    if (inner) {
        value = bpf_map_lookup_elem(inner, &key);
        if (value)
            add(value, step);
    }
    key = 1;
    inner = bpf_map_lookup_elem(&outer, &key);
    if (inner) {
        value = bpf_map_lookup_elem(inner, &key);
        if (value)
            add(value, step);
    }
    key = 3;
    inner = bpf_map_lookup_elem(&by_id, &key);
    if (inner) {
        key = 7;
        counter = bpf_map_lookup_elem(inner, &key);
        if (counter)
            __sync_fetch_and_add(counter, step);
        else
            bpf_map_update_elem(inner, &key, &step, BPF_ANY);
    }
    bpf_tail_call(ctx, &jumps, 0);
    return 1;
}

SEC("socket")
int report(void *ctx)
{
    __u32 key = 0;
    __u64 total = 1000;
    struct value *value;
    void *inner = bpf_map_lookup_elem(&outer, &key);

    if (inner) {
        value = bpf_map_lookup_elem(inner, &key);
        if (value)
            total += value->count;
    }
    key = 1;
    inner = bpf_map_lookup_elem(&outer, &key);
    if (inner) {
        value = bpf_map_lookup_elem(inner, &key);
        if (value)
            total += value->count;
    }
    return total;
}

SEC("socket")
int hashed(void *ctx)
{
    __u32 key = 3;
    __u64 *counter;
    void *inner = bpf_map_lookup_elem(&by_id, &key);

    if (!inner)
        return -1;
    key = 7;
    counter = bpf_map_lookup_elem(inner, &key);
    if (!counter)
        return -1;
    return *counter;
}

char LICENSE[] SEC("license") = "GPL";
