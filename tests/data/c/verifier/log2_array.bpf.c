// Sums floor(log2(x)) over the 16 u32 values of a 64-byte context (0 counts as 0).
// Context: 64 bytes of raw memory (r1 = mem, r2 = 64).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int log2_array(void *mem)
{
    __u32 *values = mem;
    int total = 0;

    for (int i = 0; i < 16; i++) {
        __u32 v = values[i];
        int r = 0;

        while (v > 1) {
            v >>= 1;
            r++;
        }
        total += r;
    }
    return total;
}

char LICENSE[] SEC("license") = "GPL";
