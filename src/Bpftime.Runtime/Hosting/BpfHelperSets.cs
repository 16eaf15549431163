using Bpftime.Helpers;

namespace Bpftime.Hosting;

/// <summary>The helper tables a loaded object may be given by name (the build's BpfHelperSet).</summary>
public static class BpfHelperSets
{
    public const string DefaultName = "default";

    /// <summary>The default helpers plus those that read any host memory (probe_read*, %s of any address): for trusted tracing programs only.</summary>
    public const string TracingName = StandardHelpers.TracingName;

    /// <summary>The names <see cref="Find(string)"/> answers to.</summary>
    public static IReadOnlyList<string> Names => StandardHelpers.Names;

    /// <summary>A new table of the runtime's standard helpers.</summary>
    public static HelperTable Default() => StandardHelpers.CreateDefault();

    /// <summary>A new table of the runtime's standard helpers whose bpf_trace_printk writes to <paramref name="trace"/>.</summary>
    public static HelperTable Default(TraceSink trace) => StandardHelpers.CreateDefault(trace);

    /// <summary>The table named <paramref name="name"/> ("default", "xdp", "tracing", "conformance"), or null when the runtime has none of that name.</summary>
    public static HelperTable? Find(string name) => StandardHelpers.Create(name);

    /// <summary>The table named <paramref name="name"/> with trace output to <paramref name="trace"/>, or null when there is none of that name.</summary>
    public static HelperTable? Find(string name, TraceSink trace) => name switch
    {
        StandardHelpers.DefaultName => StandardHelpers.CreateDefault(trace),
        StandardHelpers.XdpName => StandardHelpers.CreateXdp(trace),
        StandardHelpers.TracingName => StandardHelpers.CreateTracing(trace),
        _ => StandardHelpers.Create(name),
    };
}
