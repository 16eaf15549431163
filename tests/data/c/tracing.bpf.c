// Section names of tracing program types, and CO-RE field relocations.
// These programs need a kernel context; for engines they only exercise loading.
// read_pid: r0 = task->pid read through a CO-RE relocation (no fixed expected value).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct {
    int pid;
    int tgid;
} __attribute__((preserve_access_index));

SEC("kprobe/do_nanosleep")
int read_pid(struct task_struct *task)
{
    return BPF_CORE_READ(task, tgid) + bpf_core_field_exists(task->pid);
}

SEC("kretprobe/do_nanosleep")
int on_return(void *ctx) { return 0; }

SEC("tracepoint/syscalls/sys_enter_openat")
int on_openat(void *ctx) { return 1; }

SEC("raw_tp/sched_switch")
int on_switch(void *ctx) { return 2; }

SEC("fentry/do_unlinkat")
int on_unlink(void *ctx) { return 3; }

SEC("uprobe//bin/bash:readline")
int on_readline(void *ctx) { return 4; }

SEC("cgroup_skb/ingress")
int on_ingress(void *ctx) { return 1; }

SEC("lsm/file_open")
int on_file_open(void *ctx) { return 0; }

SEC("tc")
int on_tc(void *ctx) { return 0; }

SEC("perf_event")
int on_perf(void *ctx) { return 0; }

char LICENSE[] SEC("license") = "GPL";
