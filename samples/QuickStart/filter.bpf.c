// A small eBPF program for the QuickStart sample: it hashes the first bytes of the buffer it is
// given, keeps running totals in global data, and returns the hash.
// Rebuild with: clang-14 -target bpf -O2 -g -c filter.bpf.c -o filter.bpf.o

#define SEC(name) __attribute__((section(name), used))

typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;

// Read-only configuration (.rodata) and running totals (.bss), both visible to the host as maps.
const volatile u32 multiplier = 31;
u64 packets_seen = 0;
u64 bytes_seen = 0;

// r1 = the buffer, r2 = its length, as the runtime passes them.
SEC("socket")
u64 checksum(const u8 *data, u64 length)
{
    u32 hash = 17;
    for (u32 i = 0; i < 64; i++) {
        if (i >= length)
            break;
        hash = hash * multiplier + data[i];
    }
    __sync_fetch_and_add(&packets_seen, 1);
    __sync_fetch_and_add(&bytes_seen, length);
    return hash;
}

char LICENSE[] SEC("license") = "GPL";
