using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Bpftime.Diagnostics;
using Bpftime.Helpers;
using Bpftime.Hosting;
using Bpftime.Tests.Maps;
using Microsoft.Extensions.Logging;

namespace Bpftime.Tests.Hosting;

/// <summary>What a host sees of loads and runs through its own logging and through the "Bpftime" meter.</summary>
public class TelemetryTests
{
    private static string Unsafe(string name) => Path.Combine(TestPaths.DataDirectory, "obj", "verifier", "unsafe", name + ".bpf.o");

    private static string Safe(string name) => Path.Combine(TestPaths.DataDirectory, "obj", "verifier", name + ".bpf.o");

    private static BpfLoadOptions Options() => new()
    {
        Engine = "interpreter",
        Engines = TestEngines.Registry,
        ReadEnvironment = false,
        Helpers = StandardHelpers.CreateDefault(TraceSink.Discard),
    };

    private sealed record Entry(string Category, LogLevel Level, EventId Id, string Message, IReadOnlyList<KeyValuePair<string, object?>> State);

    /// <summary>An ILoggerProvider that keeps every entry, as a host's console or OpenTelemetry provider would receive it.</summary>
    private sealed class CollectingProvider : ILoggerProvider
    {
        public ConcurrentQueue<Entry> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Collector(categoryName, Entries);

        public void Dispose()
        {
        }

        private sealed class Collector(string category, ConcurrentQueue<Entry> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                entries.Enqueue(new Entry(category, logLevel, eventId, formatter(state, exception),
                    state as IReadOnlyList<KeyValuePair<string, object?>> ?? []));
        }
    }

    private static object? Field(Entry entry, string name) => entry.State.FirstOrDefault(p => p.Key == name).Value;

    [Fact]
    public void AHostsLoggerFactorySeesTheFallbackToCheckedCodeAndTheEngineChosen()
    {
        using var provider = new CollectingProvider();
        using var factory = LoggerFactory.Create(builder => builder.AddProvider(provider).SetMinimumLevel(LogLevel.Trace));
        using var loaded = BpfObject.Load(Unsafe("oob_index"), Options() with { ContextSize = 4, LoggerFactory = factory });

        var entries = provider.Entries.ToList();
        Assert.All(entries, e => Assert.Equal(BpftimeLog.Category, e.Category));
        var refused = Assert.Single(entries, e => e.Id.Id == BpftimeLog.Events.RunsChecked);
        Assert.Equal(LogLevel.Warning, refused.Level);
        Assert.Equal("RunsChecked", refused.Id.Name);
        Assert.Equal("oob_index", Field(refused, "Program"));
        Assert.Contains("oob_index.bpf.c(", refused.Message, StringComparison.Ordinal);
        Assert.Contains("error " + DiagnosticCodes.VerifierUnboundedPointerArithmetic, refused.Message, StringComparison.Ordinal);
        var chosen = Assert.Single(entries, e => e.Id.Id == BpftimeLog.Events.BytecodeLoaded);
        Assert.Equal(LogLevel.Information, chosen.Level);
        Assert.Equal("interpreter", Field(chosen, "Engine"));
        Assert.Equal("oob_index: bytecode on 'interpreter' (1 program(s), 0 verified, 1 with run-time checks)", chosen.Message);
    }

    [Fact]
    public void TheLogCallbackAndTheLoggerFactoryGetTheSameMessages()
    {
        using var provider = new CollectingProvider();
        using var factory = LoggerFactory.Create(builder => builder.AddProvider(provider));
        var lines = new List<string>();
        using var loaded = BpfObject.Load(Unsafe("oob_index"), Options() with { ContextSize = 4, LoggerFactory = factory, Log = lines.Add, Verify = false });

        // Verify = false is itself a fallback to checked code, logged as a warning.
        Assert.Contains(provider.Entries, e => e.Id.Id == BpftimeLog.Events.VerificationOff && e.Level == LogLevel.Warning);
        Assert.Equal(provider.Entries.Select(e => "bpftime: " + e.Message), lines);
    }

    [Fact]
    public void AFactoryThatFiltersWarningsOnlyGetsNoInformation()
    {
        using var provider = new CollectingProvider();
        using var factory = LoggerFactory.Create(builder => builder.AddProvider(provider).SetMinimumLevel(LogLevel.Warning));
        using var loaded = BpfObject.Load(Unsafe("oob_index"), Options() with { ContextSize = 4, LoggerFactory = factory });
        var entry = Assert.Single(provider.Entries);
        Assert.Equal(BpftimeLog.Events.RunsChecked, entry.Id.Id);
    }

    /// <summary>Every measurement of the "Bpftime" meter tagged with one object name (other tests load objects at the same time).</summary>
    private sealed class MeterRecorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly string _object;

        public MeterRecorder(string objectName)
        {
            _object = objectName;
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == BpftimeMetrics.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
            _listener.Start();
        }

        public ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> Measurements { get; } = new();

        /// <summary>Asks the observable instruments (the run counts) for their values now.</summary>
        public void Collect() => _listener.RecordObservableInstruments();

        public List<(double Value, Dictionary<string, object?> Tags)> Of(string instrument) =>
            [.. Measurements.Where(m => m.Instrument == instrument).Select(m => (m.Value, m.Tags))];

        public void Clear() => Measurements.Clear();

        private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var dictionary = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                dictionary[tag.Key] = tag.Value;
            }
            if (dictionary.TryGetValue(BpftimeMetrics.ObjectTag, out var name) && (string?)name == _object)
            {
                Measurements.Enqueue((instrument.Name, value, dictionary));
            }
        }

        public void Dispose() => _listener.Dispose();
    }

    private static string UniqueName(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N");

    [Fact]
    public void TheMeterCountsALoadItsVerdictEachRunAndEachFault()
    {
        var name = UniqueName("metered");
        using var recorder = new MeterRecorder(name);
        using var loaded = BpfObject.Load(File.ReadAllBytes(Unsafe("oob_index")), Options() with { ContextSize = 4 }, name);

        var load = Assert.Single(recorder.Of(BpftimeMetrics.Loads));
        Assert.Equal(1, load.Value);
        Assert.Equal("loaded", load.Tags[BpftimeMetrics.OutcomeTag]);
        Assert.Equal("interpreter", load.Tags[BpftimeMetrics.EngineTag]);
        var duration = Assert.Single(recorder.Of(BpftimeMetrics.LoadDuration));
        Assert.InRange(duration.Value, double.Epsilon, 60);
        var verdict = Assert.Single(recorder.Of(BpftimeMetrics.Verdicts));
        Assert.Equal((1.0, BpftimeMetrics.Checked, "oob_index"), (verdict.Value, verdict.Tags[BpftimeMetrics.VerdictTag], verdict.Tags[BpftimeMetrics.ProgramTag]));

        recorder.Collect();
        Assert.Equal(0, Assert.Single(recorder.Of(BpftimeMetrics.Runs)).Value);

        var program = loaded.Programs["oob_index"];
        for (var i = 0; i < 5; i++)
        {
            program.Run(BitConverter.GetBytes(3u));
        }
        // The checked program's access past its row faults; the fault is counted and the run too.
        var fault = Assert.Throws<BpfException>(() => program.Run(BitConverter.GetBytes(1000u)));
        var faults = Assert.Single(recorder.Of(BpftimeMetrics.Faults));
        Assert.Equal((1.0, fault.Diagnostic.Code), (faults.Value, faults.Tags[BpftimeMetrics.CodeTag]));

        recorder.Clear();
        recorder.Collect();
        var runs = Assert.Single(recorder.Of(BpftimeMetrics.Runs));
        Assert.Equal(6, runs.Value);
        Assert.Equal((6L, "oob_index", "interpreter"), (program.RunCount, runs.Tags[BpftimeMetrics.ProgramTag], runs.Tags[BpftimeMetrics.EngineTag]));

        // A disposed object's programs are no longer reported.
        loaded.Dispose();
        recorder.Clear();
        recorder.Collect();
        Assert.Empty(recorder.Of(BpftimeMetrics.Runs));
    }

    [Fact]
    public void AVerifiedLoadCountsAcceptedProgramsAndARefusedLoadCountsAFailure()
    {
        var accepted = UniqueName("accepted");
        using (var recorder = new MeterRecorder(accepted))
        {
            using var loaded = BpfObject.Load(File.ReadAllBytes(Safe("xdp_parse")), Options() with { RequireVerification = true }, accepted);
            var verdicts = recorder.Of(BpftimeMetrics.Verdicts);
            Assert.Equal(loaded.Programs.Count, verdicts.Count);
            Assert.All(verdicts, v => Assert.Equal(BpftimeMetrics.Accepted, v.Tags[BpftimeMetrics.VerdictTag]));
        }

        var refused = UniqueName("refused");
        using (var recorder = new MeterRecorder(refused))
        {
            var error = Assert.Throws<BpfException>(() => BpfObject.Load(File.ReadAllBytes(Unsafe("null_deref")), Options() with { ContextSize = 4, RequireVerification = true }, refused));
            var verdict = Assert.Single(recorder.Of(BpftimeMetrics.Verdicts));
            Assert.Equal(BpftimeMetrics.Refused, verdict.Tags[BpftimeMetrics.VerdictTag]);
            var load = Assert.Single(recorder.Of(BpftimeMetrics.Loads));
            Assert.Equal(("failed", error.Diagnostic.Code), (load.Tags[BpftimeMetrics.OutcomeTag], load.Tags[BpftimeMetrics.CodeTag]));
            Assert.Single(recorder.Of(BpftimeMetrics.LoadDuration));
            recorder.Collect();
            Assert.Empty(recorder.Of(BpftimeMetrics.Runs));
        }
    }
}
