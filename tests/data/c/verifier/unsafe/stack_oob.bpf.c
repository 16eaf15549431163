// UNSAFE: writes a stack array at an index that may be 16..31.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int stack_oob(void *mem)
{
    volatile char buf[16] = {};
    unsigned int i = *(unsigned char *)mem & 31;

    buf[i] = 1;
    return buf[0];
}

char LICENSE[] SEC("license") = "GPL";
