using Bpftime.Objects;
using static Bpftime.Verification.ContextFieldKind;

namespace Bpftime.Verification;

/// <summary>
/// The context structs Linux gives each program type (uapi/linux/bpf.h, x86-64 for pt_regs), with
/// which fields each type may read and write (the kernel's is_valid_access callbacks). Pointer fields
/// to objects the verifier does not track (sk, flow_keys, skb_data of sock_ops) are refused by name.
/// No engine host builds these structs: a loader that runs such a program on raw memory verifies it
/// against that raw memory (it passes <see cref="VerifierOptions.Context"/>), never against these.
/// </summary>
public static class LinuxContexts
{
    /// <summary>The context of <paramref name="type"/>, or null for types without one here (unspecified, BTF-typed tracing, ...).</summary>
    public static ContextLayout? For(ProgramType type) => type switch
    {
        ProgramType.Xdp => ContextLayout.Xdp,
        ProgramType.SocketFilter => SocketFilter,
        ProgramType.SchedClassifier => SchedClassifier,
        ProgramType.SchedAction => SchedAction,
        ProgramType.CgroupSkb => CgroupSkb,
        ProgramType.LwtIn => LwtIn,
        ProgramType.LwtOut => LwtOut,
        ProgramType.LwtXmit => LwtXmit,
        ProgramType.LwtSeg6Local => LwtSeg6Local,
        ProgramType.SkSkb => SkSkb,
        ProgramType.Kprobe => PtRegs(ProgramType.Kprobe),
        ProgramType.Kretprobe => PtRegs(ProgramType.Kretprobe),
        ProgramType.Uprobe => PtRegs(ProgramType.Uprobe),
        ProgramType.Uretprobe => PtRegs(ProgramType.Uretprobe),
        ProgramType.Tracepoint => Tracepoint,
        ProgramType.RawTracepoint => RawTracepoint,
        ProgramType.PerfEvent => PerfEvent,
        ProgramType.SockOps => SockOps,
        ProgramType.CgroupSock => CgroupSock,
        ProgramType.CgroupSockAddr => CgroupSockAddr,
        ProgramType.CgroupSysctl => CgroupSysctl,
        ProgramType.CgroupSockopt => CgroupSockopt,
        ProgramType.SkMsg => SkMsg,
        _ => null,
    };

    /// <summary>sizeof(struct __sk_buff).</summary>
    public const int SkBuffSize = 192;

    /// <summary>sizeof(struct pt_regs) on x86-64: 21 registers of 8 bytes.</summary>
    public const int PtRegsSize = 168;

    /// <summary>Linux's PERF_MAX_TRACE_SIZE: the tracepoint record a program may read.</summary>
    public const int TracepointSize = 2048;

    /// <summary>Raw tracepoint arguments: MAX_BPF_FUNC_ARGS u64 values.</summary>
    public const int RawTracepointSize = 12 * 8;

    public static ContextLayout SocketFilter { get; } = SkBuff(ProgramType.SocketFilter, writable: [], refused: ["tc_classid", "data", "data_end", "data_meta", "tstamp", "wire_len", "hwtstamp"]);

    public static ContextLayout SchedClassifier { get; } = SkBuff(ProgramType.SchedClassifier,
        writable: ["mark", "queue_mapping", "priority", "tc_index", "tc_classid", "tstamp"], refused: [], meta: true);

    public static ContextLayout SchedAction { get; } = SkBuff(ProgramType.SchedAction,
        writable: ["mark", "queue_mapping", "priority", "tc_index", "tc_classid", "tstamp"], refused: [], meta: true);

    public static ContextLayout CgroupSkb { get; } = SkBuff(ProgramType.CgroupSkb,
        writable: ["mark", "priority", "tstamp"], refused: ["tc_classid", "data_meta"]);

    private static readonly string[] LwtRefused = ["tc_classid", "family", "remote_ip4", "local_ip4", "remote_ip6", "local_ip6", "remote_port", "local_port", "data_meta", "tstamp", "wire_len", "hwtstamp"];

    public static ContextLayout LwtIn { get; } = SkBuff(ProgramType.LwtIn, writable: ["mark", "priority"], refused: LwtRefused);

    public static ContextLayout LwtOut { get; } = SkBuff(ProgramType.LwtOut, writable: ["mark", "priority"], refused: LwtRefused);

    public static ContextLayout LwtXmit { get; } = SkBuff(ProgramType.LwtXmit, writable: ["mark", "priority"], refused: LwtRefused);

    public static ContextLayout LwtSeg6Local { get; } = SkBuff(ProgramType.LwtSeg6Local, writable: ["mark", "priority"], refused: LwtRefused);

    public static ContextLayout SkSkb { get; } = SkBuff(ProgramType.SkSkb,
        writable: ["tc_index", "priority"], refused: ["tc_classid", "data_meta", "tstamp", "mark", "wire_len", "hwtstamp"]);

    /// <summary>
    /// struct __sk_buff for one program type: every u32 readable unless <paramref name="refused"/>,
    /// cb[] always writable, <paramref name="writable"/> fields writable; data and data_end (and
    /// data_meta when <paramref name="meta"/>) load as packet pointers.
    /// </summary>
    private static ContextLayout SkBuff(ProgramType type, string[] writable, string[] refused, bool meta = false)
    {
        ContextField Field(string name, int offset, int size, ContextFieldKind kind = Scalar) =>
            refused.Contains(name) ? new ContextField(name, offset, size, Kind: NotAccessible)
                : new ContextField(name, offset, size, writable.Contains(name), kind);
        return ContextLayout.Linux("__sk_buff", SkBuffSize, type,
        [
            Field("len", 0, 4),
            Field("pkt_type", 4, 4),
            Field("mark", 8, 4),
            Field("queue_mapping", 12, 4),
            Field("protocol", 16, 4),
            Field("vlan_present", 20, 4),
            Field("vlan_tci", 24, 4),
            Field("vlan_proto", 28, 4),
            Field("priority", 32, 4),
            Field("ingress_ifindex", 36, 4),
            Field("ifindex", 40, 4),
            Field("tc_index", 44, 4),
            new ContextField("cb", 48, 20, Writable: true) { PartialWrites = true },
            Field("hash", 68, 4),
            Field("tc_classid", 72, 4),
            Field("data", 76, 4, PacketStart),
            Field("data_end", 80, 4, PacketEnd),
            Field("napi_id", 84, 4),
            Field("family", 88, 4),
            Field("remote_ip4", 92, 4),
            Field("local_ip4", 96, 4),
            Field("remote_ip6", 100, 16),
            Field("local_ip6", 116, 16),
            Field("remote_port", 132, 4),
            Field("local_port", 136, 4),
            meta ? Field("data_meta", 140, 4, PacketMeta) : new ContextField("data_meta", 140, 4, Kind: NotAccessible),
            new ContextField("flow_keys", 144, 8, Kind: UntrackedPointer),
            Field("tstamp", 152, 8),
            Field("wire_len", 160, 4),
            Field("gso_segs", 164, 4),
            new ContextField("sk", 168, 8, Kind: UntrackedPointer),
            Field("gso_size", 176, 4),
            Field("tstamp_type", 180, 1),
            Field("hwtstamp", 184, 8),
        ]);
    }

    private static readonly string[] X64Registers =
        ["r15", "r14", "r13", "r12", "bp", "bx", "r11", "r10", "r9", "r8", "ax", "cx", "dx", "si", "di", "orig_ax", "ip", "cs", "flags", "sp", "ss"];

    /// <summary>struct pt_regs of x86-64 (kprobe and uprobe programs): read-only u64 registers.</summary>
    public static ContextLayout PtRegs(ProgramType type) =>
        ContextLayout.Linux("pt_regs", PtRegsSize, type, [.. X64Registers.Select((name, i) => new ContextField(name, i * 8, 8))]);

    /// <summary>A tracepoint's record: read-only bytes after the 8-byte common header Linux keeps from programs.</summary>
    public static ContextLayout Tracepoint { get; } = ContextLayout.Linux("tracepoint record", TracepointSize, ProgramType.Tracepoint,
    [
        new ContextField("common header", 0, 8, Kind: NotAccessible),
        new ContextField("fields", 8, TracepointSize - 8),
    ]);

    /// <summary>struct bpf_raw_tracepoint_args: the traced function's arguments, read-only u64 values.</summary>
    public static ContextLayout RawTracepoint { get; } = ContextLayout.Linux("bpf_raw_tracepoint_args", RawTracepointSize, ProgramType.RawTracepoint,
        [.. Enumerable.Range(0, RawTracepointSize / 8).Select(i => new ContextField($"args[{i}]", i * 8, 8))]);

    /// <summary>struct bpf_perf_event_data: the registers (x86-64 pt_regs), sample_period and addr, read-only.</summary>
    public static ContextLayout PerfEvent { get; } = ContextLayout.Linux("bpf_perf_event_data", PtRegsSize + 16, ProgramType.PerfEvent,
    [
        .. X64Registers.Select((name, i) => new ContextField($"regs.{name}", i * 8, 8)),
        new ContextField("sample_period", PtRegsSize, 8),
        new ContextField("addr", PtRegsSize + 8, 8),
    ]);

    /// <summary>struct bpf_sock_ops: reply (args) and sk_txhash writable, the rest read-only.</summary>
    public static ContextLayout SockOps { get; } = ContextLayout.Linux("bpf_sock_ops", 224, ProgramType.SockOps,
    [
        new ContextField("op", 0, 4),
        new ContextField("reply", 4, 16, Writable: true) { PartialWrites = true },
        .. U32s(20, "family", "remote_ip4", "local_ip4"),
        new ContextField("remote_ip6", 32, 16),
        new ContextField("local_ip6", 48, 16),
        .. U32s(64, "remote_port", "local_port", "is_fullsock", "snd_cwnd", "srtt_us", "bpf_sock_ops_cb_flags", "state", "rtt_min",
            "snd_ssthresh", "rcv_nxt", "snd_nxt", "snd_una", "mss_cache", "ecn_flags", "rate_delivered", "rate_interval_us", "packets_out",
            "retrans_out", "total_retrans", "segs_in", "data_segs_in", "segs_out", "data_segs_out", "lost_out", "sacked_out"),
        new ContextField("sk_txhash", 164, 4, Writable: true),
        new ContextField("bytes_received", 168, 8),
        new ContextField("bytes_acked", 176, 8),
        new ContextField("sk", 184, 8, Kind: UntrackedPointer),
        new ContextField("skb_data", 192, 8, Kind: UntrackedPointer),
        new ContextField("skb_data_end", 200, 8, Kind: UntrackedPointer),
        new ContextField("skb_len", 208, 4),
        new ContextField("skb_tcp_flags", 212, 4),
        new ContextField("skb_hwtstamp", 216, 8),
    ]);

    /// <summary>struct bpf_sock (cgroup/sock_create, post_bind, ...): bound_dev_if, mark and priority writable.</summary>
    public static ContextLayout CgroupSock { get; } = ContextLayout.Linux("bpf_sock", 80, ProgramType.CgroupSock,
    [
        new ContextField("bound_dev_if", 0, 4, Writable: true),
        .. U32s(4, "family", "type", "protocol"),
        new ContextField("mark", 16, 4, Writable: true),
        new ContextField("priority", 20, 4, Writable: true),
        new ContextField("src_ip4", 24, 4),
        new ContextField("src_ip6", 28, 16),
        .. U32s(44, "src_port", "dst_port", "dst_ip4"),
        new ContextField("dst_ip6", 56, 16),
        .. U32s(72, "state", "rx_queue_mapping"),
    ]);

    /// <summary>struct bpf_sock_addr (cgroup/connect4, bind6, sendmsg4, ...): the user address and the message source writable.</summary>
    public static ContextLayout CgroupSockAddr { get; } = ContextLayout.Linux("bpf_sock_addr", 72, ProgramType.CgroupSockAddr,
    [
        new ContextField("user_family", 0, 4),
        new ContextField("user_ip4", 4, 4, Writable: true),
        new ContextField("user_ip6", 8, 16, Writable: true) { PartialWrites = true },
        new ContextField("user_port", 24, 4, Writable: true),
        .. U32s(28, "family", "type", "protocol"),
        new ContextField("msg_src_ip4", 40, 4, Writable: true),
        new ContextField("msg_src_ip6", 44, 16, Writable: true) { PartialWrites = true },
        new ContextField("sk", 64, 8, Kind: UntrackedPointer),
    ]);

    /// <summary>struct bpf_sysctl: write (read-only) and file_pos (writable).</summary>
    public static ContextLayout CgroupSysctl { get; } = ContextLayout.Linux("bpf_sysctl", 8, ProgramType.CgroupSysctl,
    [
        new ContextField("write", 0, 4),
        new ContextField("file_pos", 4, 4, Writable: true),
    ]);

    /// <summary>struct bpf_sockopt: optval..optval_end load as packet pointers (the option's bytes); level, optname, optlen, retval writable.</summary>
    public static ContextLayout CgroupSockopt { get; } = ContextLayout.Linux("bpf_sockopt", 40, ProgramType.CgroupSockopt,
    [
        new ContextField("sk", 0, 8, Kind: UntrackedPointer),
        new ContextField("optval", 8, 8, Kind: PacketStart),
        new ContextField("optval_end", 16, 8, Kind: PacketEnd),
        new ContextField("level", 24, 4, Writable: true),
        new ContextField("optname", 28, 4, Writable: true),
        new ContextField("optlen", 32, 4, Writable: true),
        new ContextField("retval", 36, 4, Writable: true),
    ]);

    /// <summary>struct sk_msg_md: data..data_end load as packet pointers; the addresses read-only.</summary>
    public static ContextLayout SkMsg { get; } = ContextLayout.Linux("sk_msg_md", 80, ProgramType.SkMsg,
    [
        new ContextField("data", 0, 8, Kind: PacketStart),
        new ContextField("data_end", 8, 8, Kind: PacketEnd),
        .. U32s(16, "family", "remote_ip4", "local_ip4"),
        new ContextField("remote_ip6", 28, 16),
        new ContextField("local_ip6", 44, 16),
        .. U32s(60, "remote_port", "local_port", "size"),
        new ContextField("sk", 72, 8, Kind: UntrackedPointer),
    ]);

    private static IEnumerable<ContextField> U32s(int offset, params string[] names) =>
        names.Select((name, i) => new ContextField(name, offset + (i * 4), 4));
}
