using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
    // Weak handles in an array of our own rather than a ConditionalWeakTable, whose generic family of
    // types every load would load (docs/startup.md); handles of collected objects are freed as it fills.
    private static readonly object s_sourcesGate = new();
    private static GCHandle[] s_sources = new GCHandle[4];
    private static int s_sourceCount;

    // Every listener (MeterListener, and through it OpenTelemetry and dotnet-counters' MetricsEventSource)
    // lives in this assembly: until the process loads it, nothing can listen, so the meter is made only
    // then and a load costs neither the assembly nor the meter's types.
    private const string MetricsAssemblyPrefix = "System.Diagnostics.DiagnosticSource,";

    // A monitor rather than a Lock: the first Lock of a process reads its spin settings from the app's configuration.
    private static readonly object s_gate = new();
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

    internal static void Track(IRunCounts source)
    {
        // Once per loaded object (when its load succeeds).
        lock (s_sourcesGate)
        {
            if (s_sourceCount == s_sources.Length)
            {
                FreeCollectedSources();
                if (s_sourceCount * 2 > s_sources.Length)
                {
                    var grown = new GCHandle[s_sources.Length * 2];
                    Array.Copy(s_sources, grown, s_sourceCount);
                    s_sources = grown;
                }
            }
            s_sources[s_sourceCount++] = GCHandle.Alloc(source, GCHandleType.Weak);
        }
    }

    internal static void Untrack(IRunCounts source)
    {
        lock (s_sourcesGate)
        {
            if (IndexOfSource(source) is var index and >= 0)
            {
                RemoveSourceAt(index);
            }
        }
    }

    // Called with s_sourcesGate held.
    private static int IndexOfSource(IRunCounts source)
    {
        for (var i = 0; i < s_sourceCount; i++)
        {
            if (ReferenceEquals(s_sources[i].Target, source))
            {
                return i;
            }
        }
        return -1;
    }

    // Called with s_sourcesGate held; the order of the sources does not matter.
    private static void RemoveSourceAt(int index)
    {
        s_sources[index].Free();
        s_sources[index] = s_sources[--s_sourceCount];
        s_sources[s_sourceCount] = default;
    }

    // Called with s_sourcesGate held.
    private static void FreeCollectedSources()
    {
        for (var i = s_sourceCount - 1; i >= 0; i--)
        {
            if (s_sources[i].Target is null)
            {
                RemoveSourceAt(i);
            }
        }
    }

    /// <summary>The tracked objects still alive.</summary>
    private static IRunCounts[] LiveSources()
    {
        lock (s_sourcesGate)
        {
            var live = new IRunCounts[s_sourceCount];
            var count = 0;
            for (var i = 0; i < s_sourceCount; i++)
            {
                if (s_sources[i].Target is IRunCounts source)
                {
                    live[count++] = source;
                }
            }
            return live.AsSpan(0, count).ToArray();
        }
    }

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
                AppDomain.CurrentDomain.AssemblyLoad += new AssemblyLoadEventHandler(OnAssemblyLoad);
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
                AppDomain.CurrentDomain.AssemblyLoad -= new AssemblyLoadEventHandler(OnAssemblyLoad);
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
            var runs = new RunCounts();
            foreach (var source in LiveSources())
            {
                source.AddRunCounts(runs);
            }
            return runs.Measurements;
        }
    }
}

/// <summary>Something whose programs' run counts <see cref="BpftimeMetrics.Runs"/> reports (a loaded object).</summary>
/// <remarks>
/// Its signature names only the runtime's own types: a loaded object implements it, and matching the
/// implementation to a signature that names a framework collection opens that collection's assembly
/// when the object's type is loaded, on every load.
/// </remarks>
internal interface IRunCounts
{
    /// <summary>Adds one count per program (<see cref="RunCounts.Add"/>).</summary>
    void AddRunCounts(RunCounts runs);
}

/// <summary>The measurements of one collection of <see cref="BpftimeMetrics.Runs"/>.</summary>
internal sealed class RunCounts
{
    public List<Measurement<long>> Measurements { get; } = [];

    /// <summary>One program's runs, tagged with <see cref="BpftimeMetrics.ObjectTag"/>, <see cref="BpftimeMetrics.ProgramTag"/> and <see cref="BpftimeMetrics.EngineTag"/>.</summary>
    public void Add(long runs, string objectName, string programName, string engine) =>
        Measurements.Add(new Measurement<long>(runs,
            new KeyValuePair<string, object?>(BpftimeMetrics.ObjectTag, objectName),
            new KeyValuePair<string, object?>(BpftimeMetrics.ProgramTag, programName),
            new KeyValuePair<string, object?>(BpftimeMetrics.EngineTag, engine)));
}
