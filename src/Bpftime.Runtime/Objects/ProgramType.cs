namespace Bpftime.Objects;

/// <summary>
/// What a program is for, as libbpf infers it from the section name. Several kinds that Linux
/// folds into one program type (kprobe and kretprobe) stay apart here because they attach
/// differently; <see cref="ProgramTypeExtensions.ToLinuxProgramType"/> gives Linux's number.
/// </summary>
public enum ProgramType
{
    Unspecified,
    SocketFilter,
    Xdp,
    SchedClassifier,
    SchedAction,
    Kprobe,
    Kretprobe,
    Uprobe,
    Uretprobe,
    Tracepoint,
    RawTracepoint,
    PerfEvent,
    CgroupSkb,
    CgroupSock,
    CgroupSockAddr,
    CgroupSockopt,
    CgroupSysctl,
    CgroupDevice,
    SockOps,
    SkSkb,
    SkMsg,
    SkLookup,
    FlowDissector,
    LwtIn,
    LwtOut,
    LwtXmit,
    LwtSeg6Local,
    Lsm,
    Fentry,
    Fexit,
    FmodRet,
    Iterator,
    StructOps,
    Syscall,
    Netfilter,
}
