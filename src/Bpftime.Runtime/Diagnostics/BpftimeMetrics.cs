using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Bpftime.Diagnostics;

/// <summary>
/// The runtime's instruments, on the <see cref="MeterName"/> meter: loads (count and duration),
/// verification verdicts, program runs and faults. <c>dotnet-counters monitor --counters Bpftime</c>
/// shows them; OpenTelemetry collects them with <c>AddMeter("Bpftime")</c>. Runs cost the running
/// thread one interlocked increment on its program's counter: the total is read only when a listener
/// collects (<see cref="Runs"/> is observable). The meter is made when the process loads
/// System.Diagnostics.DiagnosticSource, where every listener lives: an app that never listens never
/// loads it.
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

    // Loaded objects whose programs' runs the observable counter reports; weak, so an object that was
    // never disposed does not stay alive for its metrics. Kept from the first load, before any meter.
    private static readonly ConditionalWeakTable<IRunCounts, object?> s_sources = [];

    // Every listener (MeterListener, and through it OpenTelemetry and dotnet-counters' MetricsEventSource)
    // lives in this assembly: until the process loads it, nothing can listen, so the meter is made only
    // then and a load costs neither the assembly nor the meter's types.
    private const string MetricsAssemblyPrefix = "System.Diagnostics.DiagnosticSource,";

    private static readonly Lock s_gate = new();
    private static Instruments? s_instruments;
    private static bool s_watching;
    private static bool s_creating;

    internal static void LoadSucceeded(string objectName, string engine, TimeSpan elapsed) =>
        Current()?.Load(objectName, engine, "loaded", null, elapsed);

    internal static void LoadFailed(string objectName, string code, TimeSpan elapsed) =>
        Current()?.Load(objectName, null, "failed", code, elapsed);

    internal static void Verdict(string objectName, string programName, string verdict) =>
        Current()?.Verdict(objectName, programName, verdict);

    internal static void Fault(string objectName, string programName, string code) =>
        Current()?.Fault(objectName, programName, code);

    internal static void Track(IRunCounts source) => s_sources.AddOrUpdate(source, null);

    internal static void Untrack(IRunCounts source) => s_sources.Remove(source);

    /// <summary>The instruments, or null while the process has no assembly that could listen to them.</summary>
    private static Instruments? Current() =>
        Volatile.Read(ref s_instruments) ?? (Volatile.Read(ref s_watching) ? null : Watch());

    /// <summary>Once: makes the meter if the metrics assembly is loaded, or waits for it to be.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Instruments? Watch()
    {
        lock (s_gate)
        {
            if (!s_watching)
            {
                // Subscribed before looking, so a load between the two is not missed.
                AppDomain.CurrentDomain.AssemblyLoad += OnAssemblyLoad;
                s_watching = true;
                foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies())
                {
                    if (IsMetricsAssembly(assembly))
                    {
                        Create();
                        break;
                    }
                }
            }
            return s_instruments;
        }
    }

    private static void OnAssemblyLoad(object? sender, AssemblyLoadEventArgs args)
    {
        if (IsMetricsAssembly(args.LoadedAssembly))
        {
            Create();
        }
    }

    private static bool IsMetricsAssembly(Assembly assembly) =>
        assembly.FullName?.StartsWith(MetricsAssemblyPrefix, StringComparison.Ordinal) == true;

    private static void Create()
    {
        lock (s_gate)
        {
            // The lock is reentrant: creating the meter must not create it again from a load it causes.
            if (s_instruments is not null || s_creating)
            {
                return;
            }
            s_creating = true;
            try
            {
                Volatile.Write(ref s_instruments, Instruments.Create());
                AppDomain.CurrentDomain.AssemblyLoad -= OnAssemblyLoad;
            }
            finally
            {
                s_creating = false;
            }
        }
    }

    /// <summary>The meter and its instruments; the only code here that touches System.Diagnostics.Metrics.</summary>
    private sealed class Instruments
    {
        private readonly Counter<long> _loads;
        private readonly Histogram<double> _loadDuration;
        private readonly Counter<long> _verdicts;
        private readonly Counter<long> _faults;

        private Instruments(Meter meter)
        {
            _loads = meter.CreateCounter<long>(Loads, "{load}", "eBPF objects loaded (outcome: loaded or failed)");
            _loadDuration = meter.CreateHistogram<double>(LoadDuration, "s", "Time to load an eBPF object");
            _verdicts = meter.CreateCounter<long>(Verdicts, "{program}", "Programs verified at load, by verdict (accepted, checked, refused)");
            _faults = meter.CreateCounter<long>(Faults, "{fault}", "Program runs that ended with a fault");
            meter.CreateObservableCounter(Runs, ObserveRuns, "{run}", "Runs of each loaded eBPF program");
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static Instruments Create() => new(new Meter(MeterName, typeof(BpftimeMetrics).Assembly.GetName().Version?.ToString()));

        [MethodImpl(MethodImplOptions.NoInlining)]
        public void Load(string objectName, string? engine, string outcome, string? code, TimeSpan elapsed)
        {
            if (!_loads.Enabled && !_loadDuration.Enabled)
            {
                return;
            }
            var tags = new TagList { { ObjectTag, objectName } };
            if (engine is not null)
            {
                tags.Add(EngineTag, engine);
            }
            tags.Add(OutcomeTag, outcome);
            if (code is not null)
            {
                tags.Add(CodeTag, code);
            }
            _loads.Add(1, tags);
            _loadDuration.Record(elapsed.TotalSeconds, tags);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        public void Verdict(string objectName, string programName, string verdict)
        {
            if (_verdicts.Enabled)
            {
                _verdicts.Add(1, new TagList { { ObjectTag, objectName }, { ProgramTag, programName }, { VerdictTag, verdict } });
            }
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        public void Fault(string objectName, string programName, string code)
        {
            if (_faults.Enabled)
            {
                _faults.Add(1, new TagList { { ObjectTag, objectName }, { ProgramTag, programName }, { CodeTag, code } });
            }
        }

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
}

/// <summary>Something whose programs' run counts <see cref="BpftimeMetrics.Runs"/> reports (a loaded object).</summary>
internal interface IRunCounts
{
    /// <summary>Adds one measurement per program, tagged with <see cref="BpftimeMetrics.ObjectTag"/>, <see cref="BpftimeMetrics.ProgramTag"/> and <see cref="BpftimeMetrics.EngineTag"/>.</summary>
    void AddRunCounts(List<Measurement<long>> measurements);
}
