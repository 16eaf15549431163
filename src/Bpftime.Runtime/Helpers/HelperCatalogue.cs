using Bpftime.Objects;
using static Bpftime.Helpers.HelperArgumentKind;
using static Bpftime.Helpers.HelperIds;

namespace Bpftime.Helpers;

/// <summary>
/// The Linux helpers the verifier knows, declared once each: Linux's number and name (uapi/linux/bpf.h),
/// the kinds of its arguments and result (its bpf_func_proto), what a bare prototype cannot say (map
/// types, packet moves, the result's range) and the program types Linux offers it to. The runtime's
/// helper tables take their prototypes from here (<see cref="PrototypeOf"/>); host-defined helpers (ids
/// 1000 and up) bring their own prototypes in the <see cref="HelperTable"/>. Knowing a helper is the
/// verifier's business; whether the host implements it is the loader's: a call to a helper the host's
/// table lacks is refused by name.
/// </summary>
public static class HelperCatalogue
{
    private static readonly MapType[] NotLookupable = [MapType.ProgArray, MapType.RingBuf, MapType.UserRingBuf, MapType.PerfEventArray, MapType.Queue, MapType.Stack];

    // Programs only read maps of maps: an inner map is the host's to place, as on Linux, so a program can
    // never store a number that is later used as a map.
    private static readonly MapType[] NotWritableByPrograms = [.. NotLookupable, MapType.ArrayOfMaps, MapType.HashOfMaps];

    private static readonly ProgramTypeSet Tracing = Of(
        ProgramType.Kprobe, ProgramType.Kretprobe, ProgramType.Uprobe, ProgramType.Uretprobe, ProgramType.Tracepoint,
        ProgramType.RawTracepoint, ProgramType.PerfEvent, ProgramType.Fentry, ProgramType.Fexit, ProgramType.FmodRet, ProgramType.Lsm, ProgramType.Iterator);

    private static readonly ProgramTypeSet Kprobes = Of(ProgramType.Kprobe, ProgramType.Kretprobe);

    private static readonly ProgramTypeSet Cgroup =
        Of(ProgramType.CgroupSkb, ProgramType.CgroupSock, ProgramType.CgroupSockAddr, ProgramType.CgroupSockopt, ProgramType.CgroupSysctl, ProgramType.CgroupDevice);

    private static readonly ProgramTypeSet Tc = Of(ProgramType.SchedClassifier, ProgramType.SchedAction);

    private static readonly ProgramTypeSet Lwt = Of(ProgramType.LwtIn, ProgramType.LwtOut, ProgramType.LwtXmit, ProgramType.LwtSeg6Local);

    /// <summary>Program types whose context is a __sk_buff.</summary>
    private static readonly ProgramTypeSet Skb =
        ProgramTypeSet.Union(Of(ProgramType.SocketFilter, ProgramType.CgroupSkb, ProgramType.SkSkb, ProgramType.FlowDissector), Tc, Lwt);

    private static readonly ProgramTypeSet Xdp = Of(ProgramType.Xdp);

    private static readonly ProgramTypeSet SockOps = Of(ProgramType.SockOps);

    // The sets are ProgramTypeSet, not HashSet<ProgramType>, and the table is filled by a loop: framework
    // generics over the runtime's enums are compiled at run time, and this table is built on every start.
    private static readonly Dictionary<int, HelperRule> Rules = Build();

    public static IReadOnlyCollection<HelperRule> All => Rules.Values;

    public static HelperRule? Find(int id) => Rules.TryGetValue(id, out var rule) ? rule : null;

    /// <summary>The declared prototype of Linux helper <paramref name="id"/>, for the runtime's helper tables.</summary>
    public static HelperPrototype PrototypeOf(int id) =>
        Find(id)?.Prototype ?? throw new ArgumentOutOfRangeException(nameof(id), id, "no Linux helper with this id is declared");

    private static HelperRule Rule(int id, string name, HelperReturnKind result, params HelperArgumentKind[] arguments) =>
        new(id, name, HelperPrototype.Of(result, arguments));

    private static ProgramTypeSet Only(ProgramType type) => Of(type);

    private static ProgramTypeSet Of(params ProgramType[] types) => ProgramTypeSet.Of(types);

    private static ProgramTypeSet Union(params ProgramTypeSet[] sets) => ProgramTypeSet.Union(sets);

    private static Dictionary<int, HelperRule> Build()
    {
        const HelperReturnKind Int = HelperReturnKind.Integer;
        const HelperReturnKind Void = HelperReturnKind.Void;
        const HelperReturnKind Untracked = HelperReturnKind.UntrackedPointer;
        var probeRead = new[] { UninitializedMemory, ConstSizeOrZero, Anything };
        var currentTask = Union(Tracing, Cgroup);
        var sockets = Union(Skb, Of(ProgramType.CgroupSock, ProgramType.CgroupSockAddr, ProgramType.SockOps, ProgramType.SkMsg));
        var sockopt = Of(ProgramType.SockOps, ProgramType.CgroupSockAddr, ProgramType.CgroupSockopt);
        var tcXdp = Union(Tc, Xdp);
        var redirectors = Union(Tc, Xdp, Of(ProgramType.LwtXmit));
        var packetWriters = Union(Tc, Of(ProgramType.LwtXmit, ProgramType.SkSkb));
        var tunnel = Union(Tc, Of(ProgramType.LwtXmit));
        var lookups = Union(Tc, Xdp, Of(ProgramType.SkSkb, ProgramType.CgroupSockAddr));
        var netns = Union(Tc, Of(ProgramType.CgroupSkb, ProgramType.CgroupSock, ProgramType.CgroupSockAddr, ProgramType.CgroupSockopt, ProgramType.SockOps, ProgramType.SkMsg));
        var checksums = Union(Tc, Xdp, Lwt, Of(ProgramType.SkSkb));
        var stackMaps = new[] { MapType.StackTrace };
        var perfMaps = new[] { MapType.PerfEventArray };
        HelperRule[] rules =
        [
            Rule(MapLookupElem, "map_lookup_elem", HelperReturnKind.MapValueOrNull, ConstMapPointer, MapKey) with { RefusedMapTypes = NotLookupable },
            Rule(MapUpdateElem, "map_update_elem", Int, ConstMapPointer, MapKey, MapValue, Scalar) with { RefusedMapTypes = NotWritableByPrograms, WritesMap = true },
            Rule(MapDeleteElem, "map_delete_elem", Int, ConstMapPointer, MapKey) with { RefusedMapTypes = NotWritableByPrograms, WritesMap = true },
            Rule(ProbeRead, "probe_read", Int, probeRead) with { CopiesFromSource = true },
            Rule(KtimeGetNs, "ktime_get_ns", Int),
            Rule(TracePrintk, "trace_printk", Int, Memory, ConstSize) with { VariadicTail = true },
            Rule(GetPrandomU32, "get_prandom_u32", Int) with { ReturnsU32 = true },
            Rule(GetSmpProcessorId, "get_smp_processor_id", Int) with { ReturnsU32 = true },
            Rule(SkbStoreBytes, "skb_store_bytes", Int, Context, Scalar, Memory, ConstSize, Scalar) with { ProgramTypes = packetWriters, ChangesPacketData = true },
            Rule(L3CsumReplace, "l3_csum_replace", Int, Context, Scalar, Scalar, Scalar, Scalar) with { ProgramTypes = Tc, ChangesPacketData = true },
            Rule(L4CsumReplace, "l4_csum_replace", Int, Context, Scalar, Scalar, Scalar, Scalar) with { ProgramTypes = Tc, ChangesPacketData = true },
            Rule(TailCall, "tail_call", Void, Context, ConstMapPointer, Scalar) with { MapTypes = [MapType.ProgArray] },
            Rule(CloneRedirect, "clone_redirect", Int, Context, Scalar, Scalar) with { ProgramTypes = Tc, ChangesPacketData = true },
            Rule(GetCurrentPidTgid, "get_current_pid_tgid", Int) with { ProgramTypes = currentTask },
            Rule(GetCurrentUidGid, "get_current_uid_gid", Int) with { ProgramTypes = currentTask },
            Rule(GetCurrentComm, "get_current_comm", Int, UninitializedMemory, ConstSize) with { ProgramTypes = currentTask },
            Rule(GetCgroupClassid, "get_cgroup_classid", Int, Context) with { ProgramTypes = Tc, ReturnsU32 = true },
            Rule(SkbVlanPush, "skb_vlan_push", Int, Context, Scalar, Scalar) with { ProgramTypes = Tc, ChangesPacketData = true },
            Rule(SkbVlanPop, "skb_vlan_pop", Int, Context) with { ProgramTypes = Tc, ChangesPacketData = true },
            Rule(SkbGetTunnelKey, "skb_get_tunnel_key", Int, Context, UninitializedMemory, ConstSize, Scalar) with { ProgramTypes = tunnel },
            Rule(SkbSetTunnelKey, "skb_set_tunnel_key", Int, Context, Memory, ConstSize, Scalar) with { ProgramTypes = tunnel },
            Rule(PerfEventRead, "perf_event_read", Int, ConstMapPointer, Scalar) with { ProgramTypes = Tracing, MapTypes = perfMaps },
            Rule(Redirect, "redirect", Int, Scalar, Scalar) with { ProgramTypes = redirectors },
            Rule(GetRouteRealm, "get_route_realm", Int, Context) with { ProgramTypes = Union(Tc, Of(ProgramType.LwtXmit)), ReturnsU32 = true },
            Rule(PerfEventOutput, "perf_event_output", Int, Context, ConstMapPointer, Scalar, Memory, ConstSizeOrZero) with { MapTypes = perfMaps },
            Rule(SkbLoadBytes, "skb_load_bytes", Int, Context, Scalar, UninitializedMemory, ConstSize) with { ProgramTypes = Skb },
            Rule(GetStackid, "get_stackid", Int, Context, ConstMapPointer, Scalar) with { ProgramTypes = Tracing, MapTypes = stackMaps },
            Rule(CsumDiff, "csum_diff", Int, MemoryOrNull, ConstSizeOrZero, MemoryOrNull, ConstSizeOrZero, Scalar) with { ProgramTypes = checksums },
            Rule(SkbGetTunnelOpt, "skb_get_tunnel_opt", Int, Context, UninitializedMemory, ConstSize) with { ProgramTypes = tunnel },
            Rule(SkbSetTunnelOpt, "skb_set_tunnel_opt", Int, Context, Memory, ConstSize) with { ProgramTypes = tunnel },
            Rule(SkbChangeProto, "skb_change_proto", Int, Context, Scalar, Scalar) with { ProgramTypes = Tc, ChangesPacketData = true },
            Rule(SkbChangeType, "skb_change_type", Int, Context, Scalar) with { ProgramTypes = Tc },
            Rule(SkbUnderCgroup, "skb_under_cgroup", Int, Context, ConstMapPointer, Scalar) with { ProgramTypes = Tc, MapTypes = [MapType.CgroupArray] },
            Rule(GetHashRecalc, "get_hash_recalc", Int, Context) with { ProgramTypes = Union(Tc, Lwt), ReturnsU32 = true },
            Rule(GetCurrentTask, "get_current_task", Int) with { ProgramTypes = Tracing },
            Rule(ProbeWriteUser, "probe_write_user", Int, Scalar, Memory, ConstSize) with { ProgramTypes = Tracing },
            Rule(CurrentTaskUnderCgroup, "current_task_under_cgroup", Int, ConstMapPointer, Scalar) with { ProgramTypes = Tracing, MapTypes = [MapType.CgroupArray] },
            Rule(SkbChangeTail, "skb_change_tail", Int, Context, Scalar, Scalar) with { ProgramTypes = Union(Tc, Of(ProgramType.SkSkb)), ChangesPacketData = true },
            Rule(SkbPullData, "skb_pull_data", Int, Context, Scalar) with { ProgramTypes = Union(Tc, Lwt, Of(ProgramType.SkSkb)), ChangesPacketData = true },
            Rule(CsumUpdate, "csum_update", Int, Context, Scalar) with { ProgramTypes = Tc },
            Rule(SetHashInvalid, "set_hash_invalid", Void, Context) with { ProgramTypes = Tc },
            Rule(GetNumaNodeId, "get_numa_node_id", Int),
            Rule(SkbChangeHead, "skb_change_head", Int, Context, Scalar, Scalar) with { ProgramTypes = Union(Tc, Of(ProgramType.SkSkb)), ChangesPacketData = true },
            Rule(XdpAdjustHead, "xdp_adjust_head", Int, Context, Scalar) with { ProgramTypes = Xdp, ChangesPacketData = true },
            Rule(ProbeReadStr, "probe_read_str", Int, probeRead) with { CopiesFromSource = true },
            Rule(GetSocketCookie, "get_socket_cookie", Int, Context) with { ProgramTypes = sockets },
            Rule(GetSocketUid, "get_socket_uid", Int, Context) with { ProgramTypes = Skb, ReturnsU32 = true },
            Rule(SetHash, "set_hash", Int, Context, Scalar) with { ProgramTypes = Tc },
            Rule(Setsockopt, "setsockopt", Int, Context, Scalar, Scalar, Memory, ConstSize) with { ProgramTypes = sockopt },
            Rule(SkbAdjustRoom, "skb_adjust_room", Int, Context, Scalar, Scalar, Scalar) with { ProgramTypes = Union(Tc, Of(ProgramType.SkSkb)), ChangesPacketData = true },
            Rule(RedirectMap, "redirect_map", Int, ConstMapPointer, Scalar, Scalar) with { ProgramTypes = Xdp, MapTypes = [MapType.DevMap, MapType.DevMapHash, MapType.CpuMap, MapType.XskMap] },
            Rule(SkRedirectMap, "sk_redirect_map", Int, Context, ConstMapPointer, Scalar, Scalar) with { ProgramTypes = Only(ProgramType.SkSkb), MapTypes = [MapType.SockMap] },
            Rule(SockMapUpdate, "sock_map_update", Int, Context, ConstMapPointer, MapKey, Scalar) with { ProgramTypes = SockOps, MapTypes = [MapType.SockMap] },
            Rule(XdpAdjustMeta, "xdp_adjust_meta", Int, Context, Scalar) with { ProgramTypes = Xdp, ChangesPacketData = true },
            Rule(PerfEventReadValue, "perf_event_read_value", Int, ConstMapPointer, Scalar, UninitializedMemory, ConstSize) with { ProgramTypes = Tracing, MapTypes = perfMaps },
            Rule(PerfProgReadValue, "perf_prog_read_value", Int, Context, UninitializedMemory, ConstSize) with { ProgramTypes = Only(ProgramType.PerfEvent) },
            Rule(Getsockopt, "getsockopt", Int, Context, Scalar, Scalar, UninitializedMemory, ConstSize) with { ProgramTypes = sockopt },
            Rule(OverrideReturn, "override_return", Int, Context, Scalar) with { ProgramTypes = Kprobes },
            Rule(SockOpsCbFlagsSet, "sock_ops_cb_flags_set", Int, Context, Scalar) with { ProgramTypes = SockOps },
            Rule(MsgRedirectMap, "msg_redirect_map", Int, Context, ConstMapPointer, Scalar, Scalar) with { ProgramTypes = Only(ProgramType.SkMsg), MapTypes = [MapType.SockMap] },
            Rule(MsgApplyBytes, "msg_apply_bytes", Int, Context, Scalar) with { ProgramTypes = Only(ProgramType.SkMsg) },
            Rule(MsgCorkBytes, "msg_cork_bytes", Int, Context, Scalar) with { ProgramTypes = Only(ProgramType.SkMsg) },
            Rule(MsgPullData, "msg_pull_data", Int, Context, Scalar, Scalar, Scalar) with { ProgramTypes = Only(ProgramType.SkMsg), ChangesPacketData = true },
            Rule(XdpAdjustTail, "xdp_adjust_tail", Int, Context, Scalar) with { ProgramTypes = Xdp, ChangesPacketData = true },
            Rule(GetStack, "get_stack", Int, Context, UninitializedMemory, ConstSizeOrZero, Scalar) with { ProgramTypes = Tracing },
            Rule(SkbLoadBytesRelative, "skb_load_bytes_relative", Int, Context, Scalar, UninitializedMemory, ConstSize, Scalar) with { ProgramTypes = Skb },
            Rule(FibLookup, "fib_lookup", Int, Context, MutableMemory, ConstSize, Scalar) with { ProgramTypes = tcXdp },
            Rule(SockHashUpdate, "sock_hash_update", Int, Context, ConstMapPointer, MapKey, Scalar) with { ProgramTypes = SockOps, MapTypes = [MapType.SockHash] },
            Rule(MsgRedirectHash, "msg_redirect_hash", Int, Context, ConstMapPointer, MapKey, Scalar) with { ProgramTypes = Only(ProgramType.SkMsg), MapTypes = [MapType.SockHash] },
            Rule(SkRedirectHash, "sk_redirect_hash", Int, Context, ConstMapPointer, MapKey, Scalar) with { ProgramTypes = Only(ProgramType.SkSkb), MapTypes = [MapType.SockHash] },
            Rule(SkbCgroupId, "skb_cgroup_id", Int, Context) with { ProgramTypes = Tc },
            Rule(GetCurrentCgroupId, "get_current_cgroup_id", Int) with { ProgramTypes = currentTask },
            Rule(SkLookupTcp, "sk_lookup_tcp", Untracked, Context, Memory, ConstSize, Scalar, Scalar) with { ProgramTypes = lookups },
            Rule(SkLookupUdp, "sk_lookup_udp", Untracked, Context, Memory, ConstSize, Scalar, Scalar) with { ProgramTypes = lookups },
            Rule(SkRelease, "sk_release", Int, Socket) with { ProgramTypes = lookups },
            Rule(MapPushElem, "map_push_elem", Int, ConstMapPointer, MapValue, Scalar) with { MapTypes = [MapType.Queue, MapType.Stack], WritesMap = true },
            Rule(MapPopElem, "map_pop_elem", Int, ConstMapPointer, UninitializedMapValue) with { MapTypes = [MapType.Queue, MapType.Stack], WritesMap = true },
            Rule(MapPeekElem, "map_peek_elem", Int, ConstMapPointer, UninitializedMapValue) with { MapTypes = [MapType.Queue, MapType.Stack] },
            Rule(HelperIds.SpinLock, "spin_lock", Void, HelperArgumentKind.SpinLock),
            Rule(SpinUnlock, "spin_unlock", Void, HelperArgumentKind.SpinLock),
            Rule(SkcLookupTcp, "skc_lookup_tcp", Untracked, Context, Memory, ConstSize, Scalar, Scalar) with { ProgramTypes = lookups },
            Rule(ProbeReadUser, "probe_read_user", Int, probeRead) with { CopiesFromSource = true },
            Rule(ProbeReadKernel, "probe_read_kernel", Int, probeRead) with { CopiesFromSource = true },
            Rule(ProbeReadUserStr, "probe_read_user_str", Int, probeRead) with { CopiesFromSource = true },
            Rule(ProbeReadKernelStr, "probe_read_kernel_str", Int, probeRead) with { CopiesFromSource = true },
            Rule(Jiffies64, "jiffies64", Int),
            Rule(GetNetnsCookie, "get_netns_cookie", Int, ContextOrNull) with { ProgramTypes = netns },
            Rule(SkAssign, "sk_assign", Int, Context, Socket, Scalar) with { ProgramTypes = Union(Tc, Of(ProgramType.SkLookup)) },
            Rule(KtimeGetBootNs, "ktime_get_boot_ns", Int),
            Rule(RingbufOutput, "ringbuf_output", Int, ConstMapPointer, Memory, ConstSizeOrZero, Scalar) with { MapTypes = [MapType.RingBuf] },
            Rule(RingbufReserve, "ringbuf_reserve", HelperReturnKind.RingBufferRecordOrNull, ConstMapPointer, Scalar, Scalar) with { MapTypes = [MapType.RingBuf] },
            Rule(RingbufSubmit, "ringbuf_submit", Void, RingBufferRecord, Scalar),
            Rule(RingbufDiscard, "ringbuf_discard", Void, RingBufferRecord, Scalar),
            Rule(RingbufQuery, "ringbuf_query", Int, ConstMapPointer, Scalar) with { MapTypes = [MapType.RingBuf] },
            Rule(SkcToTcpSock, "skc_to_tcp_sock", Untracked, Socket),
            Rule(RedirectNeigh, "redirect_neigh", Int, Scalar, MemoryOrNull, ConstSizeOrZero, Scalar) with { ProgramTypes = Tc },
            Rule(RedirectPeer, "redirect_peer", Int, Scalar, Scalar) with { ProgramTypes = Tc },
            Rule(KtimeGetCoarseNs, "ktime_get_coarse_ns", Int),
            Rule(ForEachMapElem, "for_each_map_elem", Int, ConstMapPointer, Function, StackPointerOrNull, Scalar)
                with { Callback = CallbackKind.ForEachMapElement, MapTypes = [MapType.Array, MapType.PerCpuArray, MapType.Hash, MapType.PerCpuHash, MapType.LruHash, MapType.LruPerCpuHash] },
            Rule(Snprintf, "snprintf", Int, UninitializedMemoryOrNull, ConstSizeOrZero, ConstString, MemoryOrNull, ConstSizeOrZero),
            Rule(TraceVprintk, "trace_vprintk", Int, Memory, ConstSize, MemoryOrNull, ConstSizeOrZero),
            Rule(Loop, "loop", Int, Scalar, Function, StackPointerOrNull, Scalar) with { Callback = CallbackKind.Loop },
            Rule(Strncmp, "strncmp", Int, Memory, ConstSize, ConstString),
        ];
        var byId = new Dictionary<int, HelperRule>(rules.Length);
        foreach (var rule in rules)
        {
            byId.Add(rule.Id, rule);
        }
        return byId;
    }

    private static string NameOf(string name) => name.StartsWith("bpf_", StringComparison.Ordinal) ? name[4..] : name;

    /// <summary>
    /// The rule for a call to <paramref name="id"/>: the catalogue's rule when the host provides the
    /// helper under its Linux name or with the same shape; the host's own prototype when it provides
    /// something else under that id (such as the conformance suite's "unwind" under id 5) or a helper
    /// the catalogue does not know; null when the host does not provide it.
    /// </summary>
    public static HelperRule? Resolve(int id, HelperTable? helpers)
    {
        var known = Find(id);
        var hosted = helpers?.Find(id);
        if (hosted is null)
        {
            return helpers is null ? known : null;
        }
        if (known is not null && (ReferenceEquals(hosted.Prototype, HelperPrototype.Unchecked)
            || NameOf(hosted.Name) == known.Name
            || (hosted.Prototype.Return == known.Prototype.Return && hosted.Prototype.Arguments.Count == known.Prototype.Arguments.Count)))
        {
            return known;
        }
        return new HelperRule(id, hosted.Name, hosted.Prototype);
    }
}
