using Bpftime.Helpers;
using Bpftime.Objects;
using static Bpftime.Helpers.HelperArgumentKind;
using static Bpftime.Helpers.HelperIds;

namespace Bpftime.Verification;

/// <summary>
/// The Linux helpers the verifier knows, with Linux's numbers (uapi/linux/bpf.h) and the rules of
/// their arguments. Host-defined helpers (ids 1000 and up) bring their own prototypes in the
/// <see cref="HelperTable"/>.
/// </summary>
public static class HelperCatalogue
{
    private static readonly MapType[] NotLookupable = [MapType.ProgArray, MapType.RingBuf, MapType.UserRingBuf, MapType.PerfEventArray, MapType.Queue, MapType.Stack];

    private static readonly Dictionary<int, HelperRule> Rules = Build();

    public static IReadOnlyCollection<HelperRule> All => Rules.Values;

    public static HelperRule? Find(int id) => Rules.GetValueOrDefault(id);

    private static HelperRule Rule(int id, string name, HelperReturnKind result, params HelperArgumentKind[] arguments) =>
        new(id, name, HelperPrototype.Of(result, arguments));

    private static Dictionary<int, HelperRule> Build()
    {
        const HelperReturnKind Int = HelperReturnKind.Integer;
        var probeRead = new[] { UninitializedMemory, ConstSizeOrZero, Anything };
        HelperRule[] rules =
        [
            Rule(MapLookupElem, "map_lookup_elem", HelperReturnKind.MapValueOrNull, ConstMapPointer, MapKey) with { RefusedMapTypes = NotLookupable },
            Rule(MapUpdateElem, "map_update_elem", Int, ConstMapPointer, MapKey, MapValue, Scalar) with { RefusedMapTypes = NotLookupable, WritesMap = true },
            Rule(MapDeleteElem, "map_delete_elem", Int, ConstMapPointer, MapKey) with { RefusedMapTypes = NotLookupable, WritesMap = true },
            Rule(ProbeRead, "probe_read", Int, probeRead) with { CopiesFromSource = true },
            Rule(KtimeGetNs, "ktime_get_ns", Int),
            Rule(TracePrintk, "trace_printk", Int, Memory, ConstSize) with { VariadicTail = true },
            Rule(GetPrandomU32, "get_prandom_u32", Int) with { ReturnsU32 = true },
            Rule(GetSmpProcessorId, "get_smp_processor_id", Int) with { ReturnsU32 = true },
            Rule(TailCall, "tail_call", Int, Context, ConstMapPointer, Scalar) with { MapTypes = [MapType.ProgArray] },
            Rule(GetCurrentPidTgid, "get_current_pid_tgid", Int),
            Rule(GetCurrentUidGid, "get_current_uid_gid", Int),
            Rule(GetCurrentComm, "get_current_comm", Int, UninitializedMemory, ConstSize),
            Rule(Redirect, "redirect", Int, Scalar, Scalar),
            Rule(XdpAdjustHead, "xdp_adjust_head", Int, Context, Scalar) with { ChangesPacketData = true },
            Rule(ProbeReadStr, "probe_read_str", Int, probeRead) with { CopiesFromSource = true },
            Rule(XdpAdjustTail, "xdp_adjust_tail", Int, Context, Scalar) with { ChangesPacketData = true },
            Rule(MapPushElem, "map_push_elem", Int, ConstMapPointer, MapValue, Scalar) with { MapTypes = [MapType.Queue, MapType.Stack], WritesMap = true },
            Rule(MapPopElem, "map_pop_elem", Int, ConstMapPointer, MapValue) with { MapTypes = [MapType.Queue, MapType.Stack], WritesMapValue = true, WritesMap = true },
            Rule(MapPeekElem, "map_peek_elem", Int, ConstMapPointer, MapValue) with { MapTypes = [MapType.Queue, MapType.Stack], WritesMapValue = true },
            Rule(HelperIds.SpinLock, "spin_lock", HelperReturnKind.Void, Anything) with { SpinLockArgument = true },
            Rule(SpinUnlock, "spin_unlock", HelperReturnKind.Void, Anything) with { SpinLockArgument = true },
            Rule(ProbeReadUser, "probe_read_user", Int, probeRead) with { CopiesFromSource = true },
            Rule(ProbeReadKernel, "probe_read_kernel", Int, probeRead) with { CopiesFromSource = true },
            Rule(ProbeReadUserStr, "probe_read_user_str", Int, probeRead) with { CopiesFromSource = true },
            Rule(ProbeReadKernelStr, "probe_read_kernel_str", Int, probeRead) with { CopiesFromSource = true },
            Rule(KtimeGetBootNs, "ktime_get_boot_ns", Int),
            Rule(RingbufOutput, "ringbuf_output", Int, ConstMapPointer, Memory, ConstSizeOrZero, Scalar) with { MapTypes = [MapType.RingBuf] },
            Rule(RingbufReserve, "ringbuf_reserve", HelperReturnKind.RingBufferRecordOrNull, ConstMapPointer, Scalar, Scalar) with { MapTypes = [MapType.RingBuf] },
            Rule(RingbufSubmit, "ringbuf_submit", HelperReturnKind.Void, RingBufferRecord, Scalar),
            Rule(RingbufDiscard, "ringbuf_discard", HelperReturnKind.Void, RingBufferRecord, Scalar),
            Rule(RingbufQuery, "ringbuf_query", Int, ConstMapPointer, Scalar) with { MapTypes = [MapType.RingBuf] },
            Rule(KtimeGetCoarseNs, "ktime_get_coarse_ns", Int),
            Rule(ForEachMapElem, "for_each_map_elem", Int, ConstMapPointer, Function, Anything, Scalar)
                with { Callback = CallbackKind.ForEachMapElement, MapTypes = [MapType.Array, MapType.PerCpuArray, MapType.Hash, MapType.PerCpuHash, MapType.LruHash, MapType.LruPerCpuHash] },
            Rule(Snprintf, "snprintf", Int, UninitializedMemory, ConstSize, ConstString, MemoryOrNull, ConstSizeOrZero),
            Rule(TraceVprintk, "trace_vprintk", Int, Memory, ConstSize, MemoryOrNull, ConstSizeOrZero),
            Rule(Loop, "loop", Int, Scalar, Function, Anything, Scalar) with { Callback = CallbackKind.Loop },
            Rule(Strncmp, "strncmp", Int, Memory, ConstSize, ConstString),
        ];
        return rules.ToDictionary(r => r.Id);
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
