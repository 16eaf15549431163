// A 64-way switch on the low 6 bits of the first context byte.
// Context: 64 bytes of raw memory.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __attribute__((noinline)) int pick(unsigned int x)
{
    switch (x) {
    case 0: return 3;
    case 1: return 10;
    case 2: return 17;
    case 3: return 24;
    case 4: return 31;
    case 5: return 38;
    case 6: return 45;
    case 7: return 52;
    case 8: return 59;
    case 9: return 66;
    case 10: return 9;
    case 11: return 16;
    case 12: return 23;
    case 13: return 30;
    case 14: return 37;
    case 15: return 44;
    case 16: return 51;
    case 17: return 58;
    case 18: return 65;
    case 19: return 8;
    case 20: return 15;
    case 21: return 22;
    case 22: return 29;
    case 23: return 36;
    case 24: return 43;
    case 25: return 50;
    case 26: return 57;
    case 27: return 64;
    case 28: return 7;
    case 29: return 14;
    case 30: return 21;
    case 31: return 28;
    case 32: return 35;
    case 33: return 42;
    case 34: return 49;
    case 35: return 56;
    case 36: return 63;
    case 37: return 6;
    case 38: return 13;
    case 39: return 20;
    case 40: return 27;
    case 41: return 34;
    case 42: return 41;
    case 43: return 48;
    case 44: return 55;
    case 45: return 62;
    case 46: return 5;
    case 47: return 12;
    case 48: return 19;
    case 49: return 26;
    case 50: return 33;
    case 51: return 40;
    case 52: return 47;
    case 53: return 54;
    case 54: return 61;
    case 55: return 4;
    case 56: return 11;
    case 57: return 18;
    case 58: return 25;
    case 59: return 32;
    case 60: return 39;
    case 61: return 46;
    case 62: return 53;
    case 63: return 60;
    default: return -1;
    }
}

SEC("socket")
int switch64(void *mem)
{
    unsigned char first = *(unsigned char *)mem;

    return pick(first & 63) + pick(first);
}

char LICENSE[] SEC("license") = "GPL";
