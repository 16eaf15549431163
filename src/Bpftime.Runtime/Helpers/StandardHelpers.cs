using System.Diagnostics;

namespace Bpftime.Helpers;

/// <summary>
/// The runtime's named helper sets. "default" holds the helpers that touch only memory the program
/// owns; "xdp" is the same set (the packet helpers act only on XDP contexts); "tracing" adds the
/// helpers that read any host memory (probe_read and its forms, and %s of any address in
/// trace_printk, trace_vprintk and snprintf), for hosts that trust their programs with that;
/// "conformance" is the conformance suite's own table. In "default" and "xdp" the host-memory helpers
/// are stand-ins that fault (BPF4238) naming "tracing", and %s reads only the program's own memory.
/// Each call makes a fresh table, so a host may add its own helpers (ids from 1000) to it.
/// </summary>
public static class StandardHelpers
{
    public const string DefaultName = "default";

    public const string XdpName = "xdp";

    public const string TracingName = "tracing";

    /// <summary>The names <see cref="Create(string)"/> answers to.</summary>
    /// <remarks>Made on first use: a load makes a table, and the read-only list's generic type family would be loaded with the class.</remarks>
    public static IReadOnlyList<string> Names => s_names ??= Array.AsReadOnly([DefaultName, XdpName, TracingName, ConformanceHelpers.TableName]);

    private static IReadOnlyList<string>? s_names;

    /// <summary>A fresh table of the helpers that touch only the program's memory; trace_printk writes to <paramref name="trace"/> (standard error when null).</summary>
    public static HelperTable CreateDefault(TraceSink? trace = null) => Common(DefaultName, trace, hostMemory: false);

    /// <summary>A fresh table for XDP programs: the default helpers (the packet helpers among them).</summary>
    public static HelperTable CreateXdp(TraceSink? trace = null) => Common(XdpName, trace, hostMemory: false);

    /// <summary>A fresh table of the default helpers plus those that read any host memory (probe_read*, %s of any address).</summary>
    public static HelperTable CreateTracing(TraceSink? trace = null) => Common(TracingName, trace, hostMemory: true);

    /// <summary>
    /// Adds a host-defined helper: a C# body with its prototype under an id from
    /// <see cref="HelperIds.FirstHostId"/> up (ids below belong to Linux's numbering).
    /// </summary>
    public static HelperTable AddHostHelper(this HelperTable table, int id, string name, HelperPrototype prototype, HelperImplementation body)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(prototype);
        ArgumentNullException.ThrowIfNull(body);
        if (id < HelperIds.FirstHostId)
        {
            throw new Diagnostics.BpfException(new Diagnostics.BpfDiagnostic(Diagnostics.DiagnosticCodes.HostHelperIdReserved,
                $"host helper '{name}' asks for id {id}; ids below {HelperIds.FirstHostId} follow Linux's helper numbering, so give it {HelperIds.FirstHostId} or more"));
        }
        if (prototype.Arguments.Count > 5)
        {
            throw new Diagnostics.BpfException(new Diagnostics.BpfDiagnostic(Diagnostics.DiagnosticCodes.HostHelperInvalidPrototype,
                $"host helper '{name}' declares {prototype.Arguments.Count} arguments; helpers take at most five (r1-r5)"));
        }
        return table.Add(new HelperFunction(id, name, prototype, body));
    }

    /// <summary>The set named <paramref name="name"/>, or null when there is none of that name.</summary>
    public static HelperTable? Create(string name) => name switch
    {
        DefaultName => CreateDefault(),
        XdpName => CreateXdp(),
        TracingName => CreateTracing(),
        ConformanceHelpers.TableName => ConformanceHelpers.Create(),
        _ => null,
    };

    // The ids every standard set holds. A table makes each helper on first use (see HelperTable), so a
    // load builds only the helpers its programs call, not the whole set with every helper kind's statics.
    // Stored one by one rather than written as an array literal: a literal's data is a field of
    // <PrivateImplementationDetails>, whose first use loads a type for every size of constant data in
    // the assembly (docs/startup.md), and every load makes a standard table.
    private static readonly int[] CommonIds = MakeCommonIds();

    private static int[] MakeCommonIds()
    {
        var ids = new int[37];
        var count = 0;
        ids[count++] = HelperIds.MapLookupElem;
        ids[count++] = HelperIds.MapUpdateElem;
        ids[count++] = HelperIds.MapDeleteElem;
        ids[count++] = HelperIds.MapPushElem;
        ids[count++] = HelperIds.MapPopElem;
        ids[count++] = HelperIds.MapPeekElem;
        ids[count++] = HelperIds.ForEachMapElem;
        ids[count++] = HelperIds.KtimeGetNs;
        ids[count++] = HelperIds.KtimeGetBootNs;
        ids[count++] = HelperIds.KtimeGetCoarseNs;
        ids[count++] = HelperIds.GetPrandomU32;
        ids[count++] = HelperIds.GetSmpProcessorId;
        ids[count++] = HelperIds.GetCurrentPidTgid;
        ids[count++] = HelperIds.GetCurrentUidGid;
        ids[count++] = HelperIds.GetCurrentComm;
        ids[count++] = HelperIds.ProbeRead;
        ids[count++] = HelperIds.ProbeReadUser;
        ids[count++] = HelperIds.ProbeReadKernel;
        ids[count++] = HelperIds.ProbeReadStr;
        ids[count++] = HelperIds.ProbeReadUserStr;
        ids[count++] = HelperIds.ProbeReadKernelStr;
        ids[count++] = HelperIds.Snprintf;
        ids[count++] = HelperIds.Strncmp;
        ids[count++] = HelperIds.RingbufOutput;
        ids[count++] = HelperIds.RingbufReserve;
        ids[count++] = HelperIds.RingbufSubmit;
        ids[count++] = HelperIds.RingbufDiscard;
        ids[count++] = HelperIds.RingbufQuery;
        ids[count++] = HelperIds.XdpAdjustHead;
        ids[count++] = HelperIds.XdpAdjustTail;
        ids[count++] = HelperIds.Redirect;
        ids[count++] = HelperIds.SpinLock;
        ids[count++] = HelperIds.SpinUnlock;
        ids[count++] = HelperIds.TracePrintk;
        ids[count++] = HelperIds.TraceVprintk;
        ids[count++] = HelperIds.TailCall;
        ids[count++] = HelperIds.Loop;
        Debug.Assert(count == ids.Length, "every slot of the common ids is set");
        return ids;
    }

    private static HelperTable Common(string name, TraceSink? trace, bool hostMemory) => new(name, CommonIds, trace, hostMemory);

    /// <summary>Helper <paramref name="id"/> of a standard set: with <paramref name="hostMemory"/> the forms that may read any host memory.</summary>
    internal static HelperFunction Make(int id, TraceSink? trace, bool hostMemory) => id switch
    {
        HelperIds.MapLookupElem => MapHelpers.LookupElem,
        HelperIds.MapUpdateElem => MapHelpers.UpdateElem,
        HelperIds.MapDeleteElem => MapHelpers.DeleteElem,
        HelperIds.MapPushElem => MapHelpers.PushElem,
        HelperIds.MapPopElem => MapHelpers.PopElem,
        HelperIds.MapPeekElem => MapHelpers.PeekElem,
        HelperIds.ForEachMapElem => MapHelpers.ForEachElem,
        HelperIds.KtimeGetNs => TimeHelpers.KtimeGetNs,
        HelperIds.KtimeGetBootNs => TimeHelpers.KtimeGetBootNs,
        HelperIds.KtimeGetCoarseNs => TimeHelpers.KtimeGetCoarseNs,
        HelperIds.GetPrandomU32 => TimeHelpers.GetPrandomU32,
        HelperIds.GetSmpProcessorId => TimeHelpers.GetSmpProcessorId,
        HelperIds.GetCurrentPidTgid => ProcessHelpers.GetCurrentPidTgid,
        HelperIds.GetCurrentUidGid => ProcessHelpers.GetCurrentUidGid,
        HelperIds.GetCurrentComm => ProcessHelpers.GetCurrentComm,
        HelperIds.ProbeRead => HostMemory(ProbeReadHelpers.ProbeRead, hostMemory),
        HelperIds.ProbeReadUser => HostMemory(ProbeReadHelpers.ProbeReadUser, hostMemory),
        HelperIds.ProbeReadKernel => HostMemory(ProbeReadHelpers.ProbeReadKernel, hostMemory),
        HelperIds.ProbeReadStr => HostMemory(ProbeReadHelpers.ProbeReadStr, hostMemory),
        HelperIds.ProbeReadUserStr => HostMemory(ProbeReadHelpers.ProbeReadUserStr, hostMemory),
        HelperIds.ProbeReadKernelStr => HostMemory(ProbeReadHelpers.ProbeReadKernelStr, hostMemory),
        HelperIds.Snprintf => hostMemory ? StringHelpers.SnprintfAnyAddress : StringHelpers.Snprintf,
        HelperIds.Strncmp => StringHelpers.Strncmp,
        HelperIds.RingbufOutput => RingBufferHelpers.Output,
        HelperIds.RingbufReserve => RingBufferHelpers.Reserve,
        HelperIds.RingbufSubmit => RingBufferHelpers.Submit,
        HelperIds.RingbufDiscard => RingBufferHelpers.Discard,
        HelperIds.RingbufQuery => RingBufferHelpers.Query,
        HelperIds.XdpAdjustHead => XdpHelpers.AdjustHead,
        HelperIds.XdpAdjustTail => XdpHelpers.AdjustTail,
        HelperIds.Redirect => XdpHelpers.Redirect,
        HelperIds.SpinLock => SpinLockHelpers.Lock,
        HelperIds.SpinUnlock => SpinLockHelpers.Unlock,
        HelperIds.TracePrintk => TraceHelpers.TracePrintk(trace ?? TraceSink.StandardError, anyAddress: hostMemory),
        HelperIds.TraceVprintk => TraceHelpers.TraceVprintk(trace ?? TraceSink.StandardError, anyAddress: hostMemory),
        HelperIds.TailCall => TailCallHelpers.TailCall,
        HelperIds.Loop => LoopHelpers.Loop,
        _ => throw new ArgumentOutOfRangeException(nameof(id), id, "no standard helper has this id"),
    };

    private static HelperFunction HostMemory(HelperFunction helper, bool hostMemory) => hostMemory ? helper : ProbeReadHelpers.TracingOnly(helper);
}
