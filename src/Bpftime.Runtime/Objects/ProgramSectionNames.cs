namespace Bpftime.Objects;

/// <summary>libbpf's section-name conventions: which program type a section such as "kprobe/do_sys_open" holds.</summary>
public static class ProgramSectionNames
{
    // Longest prefixes first where one is the start of another (kprobe.multi before kprobe).
    private static readonly SectionPrefix[] Prefixes =
    [
        new("socket", ProgramType.SocketFilter),
        new("sk_reuseport", ProgramType.Unspecified),
        new("kprobe.multi", ProgramType.Kprobe),
        new("kretprobe.multi", ProgramType.Kretprobe),
        new("kprobe", ProgramType.Kprobe),
        new("kretprobe", ProgramType.Kretprobe),
        new("ksyscall", ProgramType.Kprobe),
        new("kretsyscall", ProgramType.Kretprobe),
        new("uprobe.multi", ProgramType.Uprobe),
        new("uretprobe.multi", ProgramType.Uretprobe),
        new("uprobe.s", ProgramType.Uprobe),
        new("uretprobe.s", ProgramType.Uretprobe),
        new("uprobe", ProgramType.Uprobe),
        new("uretprobe", ProgramType.Uretprobe),
        new("usdt", ProgramType.Uprobe),
        new("tc", ProgramType.SchedClassifier),
        new("tcx", ProgramType.SchedClassifier),
        new("netkit", ProgramType.SchedClassifier),
        new("classifier", ProgramType.SchedClassifier),
        new("action", ProgramType.SchedAction),
        new("tracepoint", ProgramType.Tracepoint),
        new("tp", ProgramType.Tracepoint),
        new("raw_tracepoint.w", ProgramType.RawTracepoint),
        new("raw_tp.w", ProgramType.RawTracepoint),
        new("raw_tracepoint", ProgramType.RawTracepoint),
        new("raw_tp", ProgramType.RawTracepoint),
        new("tp_btf", ProgramType.Fentry),
        new("fentry.s", ProgramType.Fentry),
        new("fentry", ProgramType.Fentry),
        new("fexit.s", ProgramType.Fexit),
        new("fexit", ProgramType.Fexit),
        new("fmod_ret.s", ProgramType.FmodRet),
        new("fmod_ret", ProgramType.FmodRet),
        new("freplace", ProgramType.Unspecified),
        new("lsm.s", ProgramType.Lsm),
        new("lsm_cgroup", ProgramType.Lsm),
        new("lsm", ProgramType.Lsm),
        new("iter.s", ProgramType.Iterator),
        new("iter", ProgramType.Iterator),
        new("syscall", ProgramType.Syscall),
        new("xdp.frags", ProgramType.Xdp),
        new("xdp", ProgramType.Xdp),
        new("perf_event", ProgramType.PerfEvent),
        new("lwt_in", ProgramType.LwtIn),
        new("lwt_out", ProgramType.LwtOut),
        new("lwt_xmit", ProgramType.LwtXmit),
        new("lwt_seg6local", ProgramType.LwtSeg6Local),
        new("sockops", ProgramType.SockOps),
        new("sk_skb", ProgramType.SkSkb),
        new("sk_msg", ProgramType.SkMsg),
        new("sk_lookup", ProgramType.SkLookup),
        new("flow_dissector", ProgramType.FlowDissector),
        new("cgroup_skb", ProgramType.CgroupSkb),
        new("cgroup/skb", ProgramType.CgroupSkb),
        new("cgroup/sock_create", ProgramType.CgroupSock),
        new("cgroup/sock_release", ProgramType.CgroupSock),
        new("cgroup/sock", ProgramType.CgroupSock),
        new("cgroup/post_bind4", ProgramType.CgroupSock),
        new("cgroup/post_bind6", ProgramType.CgroupSock),
        new("cgroup/dev", ProgramType.CgroupDevice),
        new("cgroup/sysctl", ProgramType.CgroupSysctl),
        new("cgroup/getsockopt", ProgramType.CgroupSockopt),
        new("cgroup/setsockopt", ProgramType.CgroupSockopt),
        new("cgroup/", ProgramType.CgroupSockAddr),
        new("struct_ops.s", ProgramType.StructOps),
        new("struct_ops", ProgramType.StructOps),
        new("netfilter", ProgramType.Netfilter),
    ];

    // Prefixes that libbpf before 1.0 also matched when the name merely started with them: the
    // samples of the kernel tree and of many projects still use names such as "xdp1", "xdp_fwd",
    // "socket1" or "kprobe_foo" for programs of these types. Each is also a current prefix, whose type it takes.
    private static readonly string[] LegacyPrefixes =
    [
        "socket", "kretprobe", "kprobe", "uretprobe", "uprobe", "classifier", "action", "raw_tracepoint", "tracepoint",
        "xdp", "perf_event", "lwt_in", "lwt_out", "lwt_xmit", "lwt_seg6local", "sockops", "sk_skb", "sk_msg",
        "cgroup_skb",
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
        foreach (var prefix in LegacyPrefixes)
        {
            if (sectionName.Length > prefix.Length && sectionName.StartsWith(prefix, StringComparison.Ordinal)
                && (char.IsAsciiDigit(sectionName[prefix.Length]) || sectionName[prefix.Length] is '_' or '-'))
            {
                return ParseCurrent(prefix);
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

    /// <summary>
    /// A prefix and its program type: a struct of this assembly rather than a tuple, whose constructor
    /// (the framework's generic over this assembly's enum) would be compiled at run time on every start.
    /// </summary>
    private readonly struct SectionPrefix(string prefix, ProgramType type)
    {
        public void Deconstruct(out string prefixName, out ProgramType programType)
        {
            prefixName = prefix;
            programType = type;
        }
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
