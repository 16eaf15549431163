namespace Bpftime.Objects;

/// <summary>libbpf's section-name conventions: which program type a section such as "kprobe/do_sys_open" holds.</summary>
public static class ProgramSectionNames
{
    // Longest prefixes first where one is the start of another (kprobe.multi before kprobe).
    private static readonly (string Prefix, ProgramType Type)[] Prefixes =
    [
        ("socket", ProgramType.SocketFilter),
        ("sk_reuseport", ProgramType.Unspecified),
        ("kprobe.multi", ProgramType.Kprobe),
        ("kretprobe.multi", ProgramType.Kretprobe),
        ("kprobe", ProgramType.Kprobe),
        ("kretprobe", ProgramType.Kretprobe),
        ("ksyscall", ProgramType.Kprobe),
        ("kretsyscall", ProgramType.Kretprobe),
        ("uprobe.multi", ProgramType.Uprobe),
        ("uretprobe.multi", ProgramType.Uretprobe),
        ("uprobe.s", ProgramType.Uprobe),
        ("uretprobe.s", ProgramType.Uretprobe),
        ("uprobe", ProgramType.Uprobe),
        ("uretprobe", ProgramType.Uretprobe),
        ("usdt", ProgramType.Uprobe),
        ("tc", ProgramType.SchedClassifier),
        ("tcx", ProgramType.SchedClassifier),
        ("netkit", ProgramType.SchedClassifier),
        ("classifier", ProgramType.SchedClassifier),
        ("action", ProgramType.SchedAction),
        ("tracepoint", ProgramType.Tracepoint),
        ("tp", ProgramType.Tracepoint),
        ("raw_tracepoint.w", ProgramType.RawTracepoint),
        ("raw_tp.w", ProgramType.RawTracepoint),
        ("raw_tracepoint", ProgramType.RawTracepoint),
        ("raw_tp", ProgramType.RawTracepoint),
        ("tp_btf", ProgramType.Fentry),
        ("fentry.s", ProgramType.Fentry),
        ("fentry", ProgramType.Fentry),
        ("fexit.s", ProgramType.Fexit),
        ("fexit", ProgramType.Fexit),
        ("fmod_ret.s", ProgramType.FmodRet),
        ("fmod_ret", ProgramType.FmodRet),
        ("freplace", ProgramType.Unspecified),
        ("lsm.s", ProgramType.Lsm),
        ("lsm_cgroup", ProgramType.Lsm),
        ("lsm", ProgramType.Lsm),
        ("iter.s", ProgramType.Iterator),
        ("iter", ProgramType.Iterator),
        ("syscall", ProgramType.Syscall),
        ("xdp.frags", ProgramType.Xdp),
        ("xdp", ProgramType.Xdp),
        ("perf_event", ProgramType.PerfEvent),
        ("lwt_in", ProgramType.LwtIn),
        ("lwt_out", ProgramType.LwtOut),
        ("lwt_xmit", ProgramType.LwtXmit),
        ("lwt_seg6local", ProgramType.LwtSeg6Local),
        ("sockops", ProgramType.SockOps),
        ("sk_skb", ProgramType.SkSkb),
        ("sk_msg", ProgramType.SkMsg),
        ("sk_lookup", ProgramType.SkLookup),
        ("flow_dissector", ProgramType.FlowDissector),
        ("cgroup_skb", ProgramType.CgroupSkb),
        ("cgroup/skb", ProgramType.CgroupSkb),
        ("cgroup/sock_create", ProgramType.CgroupSock),
        ("cgroup/sock_release", ProgramType.CgroupSock),
        ("cgroup/sock", ProgramType.CgroupSock),
        ("cgroup/post_bind4", ProgramType.CgroupSock),
        ("cgroup/post_bind6", ProgramType.CgroupSock),
        ("cgroup/dev", ProgramType.CgroupDevice),
        ("cgroup/sysctl", ProgramType.CgroupSysctl),
        ("cgroup/getsockopt", ProgramType.CgroupSockopt),
        ("cgroup/setsockopt", ProgramType.CgroupSockopt),
        ("cgroup/", ProgramType.CgroupSockAddr),
        ("struct_ops.s", ProgramType.StructOps),
        ("struct_ops", ProgramType.StructOps),
        ("netfilter", ProgramType.Netfilter),
    ];

    // Prefixes that libbpf before 1.0 also matched when the name merely started with them: the
    // samples of the kernel tree and of many projects still use names such as "xdp1", "xdp_fwd",
    // "socket1" or "kprobe_foo" for programs of these types.
    private static readonly (string Prefix, ProgramType Type)[] LegacyPrefixes =
    [
        ("socket", ProgramType.SocketFilter),
        ("kretprobe", ProgramType.Kretprobe),
        ("kprobe", ProgramType.Kprobe),
        ("uretprobe", ProgramType.Uretprobe),
        ("uprobe", ProgramType.Uprobe),
        ("classifier", ProgramType.SchedClassifier),
        ("action", ProgramType.SchedAction),
        ("raw_tracepoint", ProgramType.RawTracepoint),
        ("tracepoint", ProgramType.Tracepoint),
        ("xdp", ProgramType.Xdp),
        ("perf_event", ProgramType.PerfEvent),
        ("lwt_in", ProgramType.LwtIn),
        ("lwt_out", ProgramType.LwtOut),
        ("lwt_xmit", ProgramType.LwtXmit),
        ("lwt_seg6local", ProgramType.LwtSeg6Local),
        ("sockops", ProgramType.SockOps),
        ("sk_skb", ProgramType.SkSkb),
        ("sk_msg", ProgramType.SkMsg),
        ("cgroup_skb", ProgramType.CgroupSkb),
    ];

    /// <summary>
    /// The program type of a section name. A prefix matches the whole name, or the name up to a
    /// '/' (or '+' for libbpf's extensible prefixes); "cgroup/" covers the remaining cgroup hooks
    /// (bind4, connect6, sendmsg4, ...), which are all socket-address programs. Failing that, the
    /// legacy names libbpf before 1.0 accepted: a known prefix followed by a digit, '_' or '-'
    /// ("xdp1", "xdp_fwd", "socket1"). Anything else (cilium's "2/1" or "from-netdev", which iproute2
    /// loads as whatever type its command line says) is Unspecified: the verifier then gives r1 raw
    /// memory of the size the host declares, and a host that knows the type says so.
    /// </summary>
    public static ProgramType Parse(string sectionName)
    {
        ArgumentNullException.ThrowIfNull(sectionName);
        var type = ParseCurrent(sectionName);
        if (type != ProgramType.Unspecified)
        {
            return type;
        }
        foreach (var (prefix, legacy) in LegacyPrefixes)
        {
            if (sectionName.Length > prefix.Length && sectionName.StartsWith(prefix, StringComparison.Ordinal)
                && (char.IsAsciiDigit(sectionName[prefix.Length]) || sectionName[prefix.Length] is '_' or '-'))
            {
                return legacy;
            }
        }
        return ProgramType.Unspecified;
    }

    private static ProgramType ParseCurrent(string sectionName)
    {
        foreach (var (prefix, type) in Prefixes)
        {
            if (prefix.EndsWith('/'))
            {
                if (sectionName.StartsWith(prefix, StringComparison.Ordinal) && sectionName.Length > prefix.Length)
                {
                    return type;
                }
                continue;
            }
            if (sectionName == prefix
                || (sectionName.Length > prefix.Length
                    && sectionName.StartsWith(prefix, StringComparison.Ordinal)
                    && sectionName[prefix.Length] is '/' or '+'))
            {
                return type;
            }
        }
        return ProgramType.Unspecified;
    }

    /// <summary>The attach target after the first '/', such as "do_sys_open" in "kprobe/do_sys_open", or empty.</summary>
    public static string AttachTarget(string sectionName)
    {
        ArgumentNullException.ThrowIfNull(sectionName);
        var slash = sectionName.IndexOf('/');
        if (sectionName.StartsWith("cgroup/", StringComparison.Ordinal))
        {
            return sectionName["cgroup/".Length..];
        }
        return slash < 0 ? string.Empty : sectionName[(slash + 1)..];
    }
}
