// A classic socket filter written with the legacy packet loads (clang's load_byte/load_half builtins
// emit ld_abs and ld_ind): keeps IPv4 TCP packets to port 80. The verifier accepts it, as Linux does
// for socket filters; the loader runs it on a socket buffer (RunSocketBuffer).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");

SEC("socket")
int http_only(struct __sk_buff *skb)
{
    unsigned long long header;

    if (load_half(skb, 12) != 0x0800 || load_byte(skb, 23) != 6)
        return 0;
    header = (load_byte(skb, 14) & 0x0f) * 4;
    return load_half(skb, 14 + header + 2) == 80 ? -1 : 0;
}

char LICENSE[] SEC("license") = "GPL";
