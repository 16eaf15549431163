// Copies the first MiB of a 2 MiB context into the second MiB, word by word (scrambled, so the
// compiler keeps the loop instead of calling memcpy), and returns the xor of the words.
// Context: 2 MiB of raw memory (ContextSize = 2097152).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define WORDS ((1 << 20) / 8)

SEC("socket")
int copy_mib(void *mem)
{
    __u64 *src = mem;
    __u64 *dst = (__u64 *)mem + WORDS;
    __u64 all = 0;

    for (__u32 i = 0; i < WORDS; i++) {
        __u64 word = src[i] ^ 0x5a5a5a5a5a5a5a5aULL;

        dst[i] = word;
        all ^= word;
    }
    return (int)(all ^ (all >> 32));
}

char LICENSE[] SEC("license") = "GPL";
