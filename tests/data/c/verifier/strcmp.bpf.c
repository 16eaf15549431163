// Compares the NUL-terminated string at the start of the context with a constant, by hand and
// with bpf_strncmp; returns 0 when both agree the strings are equal, 1 when both say different.
// Context: 64 bytes of raw memory.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static const char expected[] = "bpftime";

static __attribute__((noinline)) int compare(const char *a, const char *b)
{
    for (int i = 0; i < 16; i++) {
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
        if (a[i] == 0)
            return 0;
    }
    return 0;
}

SEC("socket")
int string_compare(void *mem)
{
    char copy[16];
    int by_hand;
    long by_helper;

    __builtin_memcpy(copy, mem, sizeof(copy));
    copy[15] = 0;
    by_hand = compare(copy, expected);
    by_helper = bpf_strncmp(copy, sizeof(copy), expected);
    return (by_hand != 0) + (by_helper != 0);
}

char LICENSE[] SEC("license") = "GPL";
