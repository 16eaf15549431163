namespace Bpftime.Objects;

public static class ProgramTypeExtensions
{
    /// <summary>Linux's enum bpf_prog_type number for a program type (0 when unspecified).</summary>
    public static int ToLinuxProgramType(this ProgramType type) => type switch
    {
        ProgramType.SocketFilter => 1,
        ProgramType.Kprobe or ProgramType.Kretprobe or ProgramType.Uprobe or ProgramType.Uretprobe => 2,
        ProgramType.SchedClassifier => 3,
        ProgramType.SchedAction => 4,
        ProgramType.Tracepoint => 5,
        ProgramType.Xdp => 6,
        ProgramType.PerfEvent => 7,
        ProgramType.CgroupSkb => 8,
        ProgramType.CgroupSock => 9,
        ProgramType.LwtIn => 10,
        ProgramType.LwtOut => 11,
        ProgramType.LwtXmit => 12,
        ProgramType.SockOps => 13,
        ProgramType.SkSkb => 14,
        ProgramType.CgroupDevice => 15,
        ProgramType.SkMsg => 16,
        ProgramType.RawTracepoint => 17,
        ProgramType.CgroupSockAddr => 18,
        ProgramType.LwtSeg6Local => 19,
        ProgramType.FlowDissector => 22,
        ProgramType.CgroupSysctl => 23,
        ProgramType.CgroupSockopt => 25,
        ProgramType.Fentry or ProgramType.Fexit or ProgramType.FmodRet or ProgramType.Iterator => 26,
        ProgramType.StructOps => 27,
        ProgramType.Lsm => 29,
        ProgramType.SkLookup => 30,
        ProgramType.Syscall => 31,
        ProgramType.Netfilter => 32,
        _ => 0,
    };
}
