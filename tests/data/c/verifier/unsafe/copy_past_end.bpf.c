// UNSAFE: the 1 MiB copy of user_copy.bpf.c with one word too many: it writes past a 2 MiB context.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define WORDS ((1 << 20) / 8)

SEC("socket")
int copy_past_end(void *mem)
{
    __u64 *src = mem;
    __u64 *dst = (__u64 *)mem + WORDS;
    __u64 all = 0;

    for (__u32 i = 0; i <= WORDS; i++) {
        __u64 word = src[i] ^ 0x5a5a5a5a5a5a5a5aULL;

        dst[i] = word;
        all ^= word;
    }
    return (int)(all ^ (all >> 32));
}

char LICENSE[] SEC("license") = "GPL";
