// UNSAFE: lets a helper write into a const global (.rodata).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile int limits[4] = { 1, 2, 3, 4 };

SEC("socket")
int rodata_write(void *mem)
{
    bpf_probe_read_kernel((void *)&limits[1], sizeof(int), mem);
    return limits[0];
}

char LICENSE[] SEC("license") = "GPL";
