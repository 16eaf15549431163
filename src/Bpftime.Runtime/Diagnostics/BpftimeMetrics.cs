using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace Bpftime.Diagnostics;

/// <summary>
/// The runtime's instruments, on the <see cref="MeterName"/> meter: loads (count and duration),
/// verification verdicts, program runs and faults. <c>dotnet-counters monitor --counters Bpftime</c>
/// shows them; OpenTelemetry collects them with <c>AddMeter("Bpftime")</c>. Runs cost the running
/// thread one interlocked increment on its program's counter: the total is read only when a listener
/// collects (<see cref="Runs"/> is observable).
/// </summary>
public static class BpftimeMetrics
{
    public const string MeterName = "Bpftime";

    /// <summary>Counter: objects loaded, or that failed to load; tags <see cref="ObjectTag"/>, <see cref="EngineTag"/>, <see cref="OutcomeTag"/> (and <see cref="CodeTag"/> on failure).</summary>
    public const string Loads = "bpftime.loads";

    /// <summary>Histogram, seconds: how long each load took, from the bytes to programs ready to run; same tags as <see cref="Loads"/>.</summary>
    public const string LoadDuration = "bpftime.load.duration";

    /// <summary>Counter: the load-time verifier's verdict per program; tags <see cref="ObjectTag"/>, <see cref="ProgramTag"/>, <see cref="VerdictTag"/>.</summary>
    public const string Verdicts = "bpftime.verifications";

    /// <summary>Observable counter: runs of each loaded program (through BpfProgram); tags <see cref="ObjectTag"/>, <see cref="ProgramTag"/>, <see cref="EngineTag"/>.</summary>
    public const string Runs = "bpftime.runs";

    /// <summary>Counter: runs that ended with a fault (a checked access out of bounds, the execution budget, a helper's refusal); tags <see cref="ObjectTag"/>, <see cref="ProgramTag"/>, <see cref="CodeTag"/>.</summary>
    public const string Faults = "bpftime.faults";

    public const string ObjectTag = "bpftime.object";
    public const string ProgramTag = "bpftime.program";
    public const string EngineTag = "bpftime.engine";
    public const string OutcomeTag = "bpftime.outcome";
    public const string VerdictTag = "bpftime.verdict";
    public const string CodeTag = "bpftime.code";

    /// <summary>Verdict: the verifier proved the program safe; it runs without run-time memory checks.</summary>
    public const string Accepted = "accepted";

    /// <summary>Verdict: the verifier refused the program, which runs with run-time memory checks.</summary>
    public const string Checked = "checked";

    /// <summary>Verdict: the verifier refused the program and the load failed (RequireVerification, RequireTermination).</summary>
    public const string Refused = "refused";

    private static readonly Meter s_meter = new(MeterName, typeof(BpftimeMetrics).Assembly.GetName().Version?.ToString());
    private static readonly Counter<long> s_loads = s_meter.CreateCounter<long>(Loads, "{load}", "eBPF objects loaded (outcome: loaded or failed)");
    private static readonly Histogram<double> s_loadDuration = s_meter.CreateHistogram<double>(LoadDuration, "s", "Time to load an eBPF object");
    private static readonly Counter<long> s_verdicts = s_meter.CreateCounter<long>(Verdicts, "{program}", "Programs verified at load, by verdict (accepted, checked, refused)");
    private static readonly Counter<long> s_faults = s_meter.CreateCounter<long>(Faults, "{fault}", "Program runs that ended with a fault");

    // Loaded objects whose programs' runs the observable counter reports; weak, so an object that was
    // never disposed does not stay alive for its metrics.
    private static readonly ConditionalWeakTable<IRunCounts, object?> s_sources = [];

    static BpftimeMetrics()
    {
        s_meter.CreateObservableCounter(Runs, ObserveRuns, "{run}", "Runs of each loaded eBPF program");
    }

    internal static void LoadSucceeded(string objectName, string engine, TimeSpan elapsed)
    {
        if (!s_loads.Enabled && !s_loadDuration.Enabled)
        {
            return;
        }
        var tags = new TagList { { ObjectTag, objectName }, { EngineTag, engine }, { OutcomeTag, "loaded" } };
        s_loads.Add(1, tags);
        s_loadDuration.Record(elapsed.TotalSeconds, tags);
    }

    internal static void LoadFailed(string objectName, string code, TimeSpan elapsed)
    {
        if (!s_loads.Enabled && !s_loadDuration.Enabled)
        {
            return;
        }
        var tags = new TagList { { ObjectTag, objectName }, { OutcomeTag, "failed" }, { CodeTag, code } };
        s_loads.Add(1, tags);
        s_loadDuration.Record(elapsed.TotalSeconds, tags);
    }

    internal static void Verdict(string objectName, string programName, string verdict)
    {
        if (s_verdicts.Enabled)
        {
            s_verdicts.Add(1, new TagList { { ObjectTag, objectName }, { ProgramTag, programName }, { VerdictTag, verdict } });
        }
    }

    internal static void Fault(string objectName, string programName, string code)
    {
        if (s_faults.Enabled)
        {
            s_faults.Add(1, new TagList { { ObjectTag, objectName }, { ProgramTag, programName }, { CodeTag, code } });
        }
    }

    internal static void Track(IRunCounts source) => s_sources.AddOrUpdate(source, null);

    internal static void Untrack(IRunCounts source) => s_sources.Remove(source);

    private static List<Measurement<long>> ObserveRuns()
    {
        var measurements = new List<Measurement<long>>();
        foreach (var (source, _) in s_sources)
        {
            source.AddRunCounts(measurements);
        }
        return measurements;
    }
}

/// <summary>Something whose programs' run counts <see cref="BpftimeMetrics.Runs"/> reports (a loaded object).</summary>
internal interface IRunCounts
{
    /// <summary>Adds one measurement per program, tagged with <see cref="BpftimeMetrics.ObjectTag"/>, <see cref="BpftimeMetrics.ProgramTag"/> and <see cref="BpftimeMetrics.EngineTag"/>.</summary>
    void AddRunCounts(List<Measurement<long>> measurements);
}
