// Typed skeleton test object with a map of every kind the skeleton types: a hash map with a struct
// key, an array, a per-CPU array (struct values), a ring buffer, a program array filled from
// `.values`, and an array of maps whose inner template is an array of struct values (slot 0 filled
// from `.values`, the others by the host). Built by the test through a BpfSource item; the context
// is 8 bytes, the u64 `step`.
// record: adds step to flows[{1, 80, 6}] (inserting it the first time) and slots[step & 3]
//         (total += step, runs += 1, last = step), and to per_cpu[0] (total and runs only, so the
//         slots' sums do not depend on the processor); for each slot i of tables that holds a map,
//         in order, adds step * (i + 1) to that map's [0] (runs += 1, last = i) and sums the new
//         totals; then writes an event {step, bonus = flows[{9}].total or 0, the number of inner
//         maps, the sum} to last_event[0] and the ring buffer, and tail-calls jumps[0] (finish),
//         returning 1 when that slot is empty.
// finish: step * 10 + 7.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct flow_key {
    __u32 id;
    __u16 port;
    __u8 proto;
    __u8 pad;
};

struct tally {
    __u64 total;
    __u32 runs;
    __u32 last;
};

struct event {
    __u64 step;
    __u64 bonus;
    __u64 inner_sum;
    __u32 inner_maps;
    __u32 pad;
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, struct flow_key);
    __type(value, struct tally);
} flows SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, struct tally);
} slots SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct tally);
} per_cpu SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct event);
} last_event SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096);
} events SEC(".maps");

struct inner_tally {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, struct tally);
};

struct inner_tally inner_a SEC(".maps");
struct inner_tally inner_b SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, 4);
    __type(key, __u32);
    __array(values, struct inner_tally);
} tables SEC(".maps") = {
    .values = { [0] = &inner_a },
};

int finish(__u64 *ctx);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __array(values, int (__u64 *));
} jumps SEC(".maps") = {
    .values = { [0] = (void *)&finish },
};

static void add(struct tally *tally, __u64 step, __u32 last)
{
    tally->total += step;
    tally->runs += 1;
    tally->last = last;
}

SEC("socket")
int record(__u64 *ctx)
{
    __u64 step = *ctx;
    struct flow_key key = { .id = 1, .port = 80, .proto = 6 };
    struct flow_key host = { .id = 9 };
    struct tally fresh = { .total = step, .runs = 1, .last = (__u32)step };
    struct event summary = { .step = step };
    struct event *event;
    struct tally *tally;
    __u32 index = 0;
    __u32 zero = 0;

    tally = bpf_map_lookup_elem(&flows, &key);
    if (tally)
        add(tally, step, (__u32)step);
    else
        bpf_map_update_elem(&flows, &key, &fresh, BPF_NOEXIST);

    index = step & 3;
    tally = bpf_map_lookup_elem(&slots, &index);
    if (tally)
        add(tally, step, (__u32)step);

    tally = bpf_map_lookup_elem(&per_cpu, &zero);
    if (tally) {
        __sync_fetch_and_add(&tally->total, step);
        __sync_fetch_and_add(&tally->runs, 1);
    }

#pragma unroll
    for (__u32 i = 0; i < 4; i++) {
        __u32 slot = i;
        void *inner = bpf_map_lookup_elem(&tables, &slot);

        if (!inner)
            continue;
        summary.inner_maps += 1;
        tally = bpf_map_lookup_elem(inner, &zero);
        if (tally) {
            add(tally, step * (i + 1), i);
            summary.inner_sum += tally->total;
        }
    }

    tally = bpf_map_lookup_elem(&flows, &host);
    summary.bonus = tally ? tally->total : 0;
    bpf_map_update_elem(&last_event, &zero, &summary, BPF_ANY);
    event = bpf_ringbuf_reserve(&events, sizeof(*event), 0);
    if (event) {
        *event = summary;
        bpf_ringbuf_submit(event, 0);
    }

    bpf_tail_call(ctx, &jumps, 0);
    return 1;
}

SEC("socket")
int finish(__u64 *ctx)
{
    return *ctx * 10 + 7;
}

char LICENSE[] SEC("license") = "GPL";
