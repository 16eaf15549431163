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
    public static IReadOnlyList<string> Names { get; } = [DefaultName, XdpName, TracingName, ConformanceHelpers.TableName];

    /// <summary>A fresh table of the helpers that touch only the program's memory; trace_printk writes to <paramref name="trace"/> (standard error when null).</summary>
    public static HelperTable CreateDefault(TraceSink? trace = null) => new(DefaultName, Common(trace, hostMemory: false));

    /// <summary>A fresh table for XDP programs: the default helpers (the packet helpers among them).</summary>
    public static HelperTable CreateXdp(TraceSink? trace = null) => new(XdpName, Common(trace, hostMemory: false));

    /// <summary>A fresh table of the default helpers plus those that read any host memory (probe_read*, %s of any address).</summary>
    public static HelperTable CreateTracing(TraceSink? trace = null) => new(TracingName, Common(trace, hostMemory: true));

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

    private static IEnumerable<HelperFunction> Common(TraceSink? trace, bool hostMemory) =>
    [
        .. MapHelpers.All,
        .. TimeHelpers.All,
        .. ProcessHelpers.All,
        .. hostMemory ? ProbeReadHelpers.All : Array.ConvertAll<HelperFunction, HelperFunction>([.. ProbeReadHelpers.All], ProbeReadHelpers.TracingOnly),
        hostMemory ? StringHelpers.SnprintfAnyAddress : StringHelpers.Snprintf,
        StringHelpers.Strncmp,
        .. RingBufferHelpers.All,
        .. XdpHelpers.All,
        .. SpinLockHelpers.All,
        TraceHelpers.TracePrintk(trace ?? TraceSink.StandardError, anyAddress: hostMemory),
        TraceHelpers.TraceVprintk(trace ?? TraceSink.StandardError, anyAddress: hostMemory),
        TailCallHelpers.TailCall,
        LoopHelpers.Loop,
    ];
}
