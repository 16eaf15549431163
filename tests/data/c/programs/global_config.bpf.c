// Global data: a configuration in .rodata, running state in .data and .bss, and a string table.
// Input (raw memory): struct reading { __s32 celsius; }.
// convert() turns the reading into the configured unit (.rodata), tracks min/max (.data/.bss),
// counts readings above the threshold and formats the last reading with bpf_snprintf into .bss.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct reading {
    int celsius;
};

const volatile int unit = 1;            /* 0 celsius, 1 tenths of fahrenheit, 2 kelvin */
const volatile int threshold = 30;
const char unit_names[3][4] = { "C", "F", "K" };

int minimum = 1000;
int maximum = -1000;
__u32 readings;
__u32 above;
char last[32];

SEC("socket")
int convert(struct reading *r)
{
    int c = r->celsius;
    int value;
    __u64 args[2];

    if (c < minimum)
        minimum = c;
    if (c > maximum)
        maximum = c;
    readings++;
    if (c > threshold)
        above++;
    if (unit == 1)
        value = c * 18 + 320;  /* tenths of a degree: no signed division in BPF */
    else if (unit == 2)
        value = c + 273;
    else
        value = c;
    args[0] = value;
    args[1] = (__u64)(long)unit_names[unit < 3 ? unit : 0];
    bpf_snprintf(last, sizeof(last), "%d %s", args, sizeof(args));
    return value;
}

char LICENSE[] SEC("license") = "GPL";
