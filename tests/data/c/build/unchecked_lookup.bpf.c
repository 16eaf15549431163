// Refused by the verifier, for the build tests: adds to a map lookup's result without checking it
// for NULL (the lookup fails for a key that was never inserted). The program never reads its
// context, so it is refused for this reason alone, whatever the context size.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, __u32);
    __type(value, __u64);
} counts SEC(".maps");

SEC("socket")
int count_packet(void *ctx)
{
    __u32 key = 1;
    __u64 *count = bpf_map_lookup_elem(&counts, &key);

    *count += 1;
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
