// Sums an array map's values with bpf_for_each_map_elem and bpf_loop callbacks.
// Context: 64 bytes of raw memory.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 8);
    __type(key, __u32);
    __type(value, __u64);
} values SEC(".maps");

struct sum_state {
    __u64 total;
    __u32 visited;
};

static long add_value(void *map, __u32 *key, __u64 *value, struct sum_state *state)
{
    state->total += *value;
    state->visited++;
    return 0;
}

static long square_step(__u32 index, struct sum_state *state)
{
    state->total += index * index;
    return state->total > 1000 ? 1 : 0;
}

SEC("socket")
int sum_values(void *mem)
{
    struct sum_state state = { 0, 0 };

    bpf_for_each_map_elem(&values, add_value, &state, 0);
    bpf_loop(10, square_step, &state, 0);
    return (int)state.total + state.visited;
}

char LICENSE[] SEC("license") = "GPL";
