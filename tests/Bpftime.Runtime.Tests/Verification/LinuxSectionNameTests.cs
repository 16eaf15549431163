using Bpftime.Objects;
using Bpftime.Verification;

namespace Bpftime.Tests.Verification;

/// <summary>
/// Section names as libbpf reads them (its section table: exact names, "name/target" and "name+"
/// forms), the legacy prefixes libbpf before 1.0 accepted ("xdp1", "socket1"), and which context the
/// verifier then gives r1.
/// </summary>
public sealed class LinuxSectionNameTests
{
    [Theory]
    [InlineData("socket", ProgramType.SocketFilter)]
    [InlineData("sk_reuseport", ProgramType.Unspecified)]
    [InlineData("kprobe/do_unlinkat", ProgramType.Kprobe)]
    [InlineData("kretprobe/do_unlinkat", ProgramType.Kretprobe)]
    [InlineData("uprobe//bin/bash:readline", ProgramType.Uprobe)]
    [InlineData("uretprobe//bin/bash:readline", ProgramType.Uretprobe)]
    [InlineData("tracepoint/syscalls/sys_enter_openat", ProgramType.Tracepoint)]
    [InlineData("tp/sched/sched_switch", ProgramType.Tracepoint)]
    [InlineData("raw_tracepoint/sched_switch", ProgramType.RawTracepoint)]
    [InlineData("raw_tp/sched_switch", ProgramType.RawTracepoint)]
    [InlineData("tp_btf/sched_switch", ProgramType.Fentry)]
    [InlineData("fentry/do_unlinkat", ProgramType.Fentry)]
    [InlineData("fexit/do_unlinkat", ProgramType.Fexit)]
    [InlineData("perf_event", ProgramType.PerfEvent)]
    [InlineData("xdp", ProgramType.Xdp)]
    [InlineData("xdp.frags", ProgramType.Xdp)]
    [InlineData("tc", ProgramType.SchedClassifier)]
    [InlineData("tc/ingress", ProgramType.SchedClassifier)]
    [InlineData("classifier", ProgramType.SchedClassifier)]
    [InlineData("action", ProgramType.SchedAction)]
    [InlineData("cgroup_skb/ingress", ProgramType.CgroupSkb)]
    [InlineData("cgroup/skb", ProgramType.CgroupSkb)]
    [InlineData("cgroup/sock_create", ProgramType.CgroupSock)]
    [InlineData("cgroup/sock", ProgramType.CgroupSock)]
    [InlineData("cgroup/post_bind4", ProgramType.CgroupSock)]
    [InlineData("cgroup/connect4", ProgramType.CgroupSockAddr)]
    [InlineData("cgroup/sendmsg6", ProgramType.CgroupSockAddr)]
    [InlineData("cgroup/sysctl", ProgramType.CgroupSysctl)]
    [InlineData("cgroup/getsockopt", ProgramType.CgroupSockopt)]
    [InlineData("cgroup/setsockopt", ProgramType.CgroupSockopt)]
    [InlineData("cgroup/dev", ProgramType.CgroupDevice)]
    [InlineData("sockops", ProgramType.SockOps)]
    [InlineData("sk_skb/stream_parser", ProgramType.SkSkb)]
    [InlineData("sk_msg", ProgramType.SkMsg)]
    [InlineData("lwt_in", ProgramType.LwtIn)]
    [InlineData("lwt_out", ProgramType.LwtOut)]
    [InlineData("lwt_xmit", ProgramType.LwtXmit)]
    [InlineData("lwt_seg6local", ProgramType.LwtSeg6Local)]
    [InlineData("lsm/file_open", ProgramType.Lsm)]
    [InlineData("struct_ops/dctcp_init", ProgramType.StructOps)]
    [InlineData("sk_lookup", ProgramType.SkLookup)]
    [InlineData("flow_dissector", ProgramType.FlowDissector)]
    public void LibbpfNames(string section, ProgramType expected) => Assert.Equal(expected, ProgramSectionNames.Parse(section));

    [Theory]
    [InlineData("xdp1", ProgramType.Xdp)]
    [InlineData("xdp_fwd", ProgramType.Xdp)]
    [InlineData("xdp_prog0", ProgramType.Xdp)]
    [InlineData("xdp_prog/0", ProgramType.Xdp)]
    [InlineData("socket1", ProgramType.SocketFilter)]
    [InlineData("socket_filter", ProgramType.SocketFilter)]
    [InlineData("kprobe_sys_write", ProgramType.Kprobe)]
    [InlineData("classifier_ingress", ProgramType.SchedClassifier)]
    [InlineData("sockops1", ProgramType.SockOps)]
    public void LegacyPrefixes(string section, ProgramType expected) => Assert.Equal(expected, ProgramSectionNames.Parse(section));

    [Theory]
    [InlineData("2/1")]
    [InlineData("from-netdev")]
    [InlineData("1/0x1010")]
    [InlineData("socketx")]
    [InlineData("xdpfoo")]
    [InlineData("filter")]
    [InlineData(".text")]
    public void UnknownNamesAreUnspecified(string section) => Assert.Equal(ProgramType.Unspecified, ProgramSectionNames.Parse(section));

    [Theory]
    [InlineData(ProgramType.Xdp, "xdp_md", 24)]
    [InlineData(ProgramType.SchedClassifier, "__sk_buff", 192)]
    [InlineData(ProgramType.SchedAction, "__sk_buff", 192)]
    [InlineData(ProgramType.CgroupSkb, "__sk_buff", 192)]
    [InlineData(ProgramType.LwtXmit, "__sk_buff", 192)]
    [InlineData(ProgramType.SkSkb, "__sk_buff", 192)]
    [InlineData(ProgramType.Kprobe, "pt_regs", 168)]
    [InlineData(ProgramType.Uretprobe, "pt_regs", 168)]
    [InlineData(ProgramType.Tracepoint, "tracepoint record", 2048)]
    [InlineData(ProgramType.RawTracepoint, "bpf_raw_tracepoint_args", 96)]
    [InlineData(ProgramType.PerfEvent, "bpf_perf_event_data", 184)]
    [InlineData(ProgramType.SockOps, "bpf_sock_ops", 224)]
    [InlineData(ProgramType.CgroupSock, "bpf_sock", 80)]
    [InlineData(ProgramType.CgroupSockAddr, "bpf_sock_addr", 72)]
    [InlineData(ProgramType.CgroupSysctl, "bpf_sysctl", 8)]
    [InlineData(ProgramType.CgroupSockopt, "bpf_sockopt", 40)]
    [InlineData(ProgramType.SkMsg, "sk_msg_md", 80)]
    public void TypesGetLinuxContexts(ProgramType type, string name, int size)
    {
        var context = BpfVerifier.ContextFor(type, new VerifierOptions { ContextSize = 64 });
        Assert.Equal(name, context.Name);
        Assert.Equal(size, context.Size);
        Assert.Equal(type, context.ProgramType);
        Assert.False(context.IsRawMemory);
    }

    /// <summary>SEC("socket") is this runtime's section for raw-memory programs; unspecified and BTF-typed programs get raw memory too.</summary>
    [Theory]
    [InlineData(ProgramType.Unspecified)]
    [InlineData(ProgramType.SocketFilter)]
    [InlineData(ProgramType.Fentry)]
    [InlineData(ProgramType.Lsm)]
    public void OtherTypesKeepRawMemory(ProgramType type)
    {
        var context = BpfVerifier.ContextFor(type, new VerifierOptions { ContextSize = 64 });
        Assert.True(context.IsRawMemory);
        Assert.Equal(64, context.Size);
        Assert.Null(context.ProgramType);
    }

    [Fact]
    public void TheOptionsLayoutWinsOverTheType()
    {
        var raw = ContextLayout.RawMemory(32);
        Assert.Same(raw, BpfVerifier.ContextFor(ProgramType.SchedClassifier, new VerifierOptions { Context = raw }));
    }
}
