// A socket filter whose port is a host-set constant (.rodata, settable before the load): keeps IPv4
// TCP packets to that port, read with the legacy packet loads. The host's bytes are verified again
// for the socket buffer the native code was compiled for (the read of skb->len is a __sk_buff field).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");

const volatile unsigned short port = 80;

SEC("socket")
int port_only(struct __sk_buff *skb)
{
    unsigned long long header;

    if (skb->len < 54)
        return 0;
    if (load_half(skb, 12) != 0x0800 || load_byte(skb, 23) != 6)
        return 0;
    header = (load_byte(skb, 14) & 0x0f) * 4;
    return load_half(skb, 14 + header + 2) == port ? -1 : 0;
}

char LICENSE[] SEC("license") = "GPL";
