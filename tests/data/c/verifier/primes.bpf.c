// Counts the primes below the u32 in the context (at most 200), by trial division.
// Context: 64 bytes of raw memory; the limit is the first u32.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int count_primes(void *mem)
{
    __u32 limit = *(__u32 *)mem;
    int count = 0;

    if (limit > 200)
        limit = 200;
    for (__u32 n = 2; n < limit; n++) {
        int prime = 1;

        for (__u32 d = 2; d * d <= n; d++) {
            if (n % d == 0) {
                prime = 0;
                break;
            }
        }
        count += prime;
    }
    return count;
}

char LICENSE[] SEC("license") = "GPL";
