// Global data in every kind of section: .data, .rodata, .bss and a string in .rodata.str1.1.
// Input: mem = 1 byte 0x02 (r1 = mem, r2 = 1).
// read_globals: r0 = counter * 10 + table[i] + greeting[i] + last_index * 103, with i = mem[0] & 3,
// counter (.data) starting at 41 and incremented first, table (.rodata) = {100, 200, 300, 400},
// greeting (.rodata.str1.1) = "bpftime" and last_index (.bss) set to i.
// Expected r0 on the first run with mem[0] = 2: 42 * 10 + 300 + 'f' (102) + 2 * 103 = 1028.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int counter = 41;
const volatile int table[4] = { 100, 200, 300, 400 };
int last_index;

static __attribute__((noinline)) int char_at(int i)
{
    const char *greeting = "bpftime";
    return greeting[i];
}

SEC("socket")
int read_globals(void *mem)
{
    int i = *(unsigned char *)mem & 3;

    counter += 1;
    last_index = i;
    return counter * 10 + table[i] + char_at(i) + last_index * 103;
}

char LICENSE[] SEC("license") = "GPL";
