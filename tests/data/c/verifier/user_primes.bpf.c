// Counts the primes below 10,000 by trial division: two nested loops, no memory access.
// Verifying it by unrolling would walk ~1e6 iterations; by fixpoint it is a few hundred steps.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int count_primes(void *mem)
{
    int count = 0;

    for (__u32 n = 2; n < 10000; n++) {
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
