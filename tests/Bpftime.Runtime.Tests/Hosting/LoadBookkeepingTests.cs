using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Bpftime.Diagnostics;
using Bpftime.Helpers;
using Bpftime.Hosting;

namespace Bpftime.Tests.Hosting;

/// <summary>
/// What a load keeps besides the code: the run counter's registry of live objects, the named
/// collections a host reads programs and maps through, and helper tables filled by a host.
/// </summary>
public class LoadBookkeepingTests
{
    // mov64 r0, 7; exit: raw bytecode, loaded as one program named "program".
    private static readonly byte[] ReturnsSeven = [0xb7, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x95, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];

    private static BpfLoadOptions Interpreter => BpfLoadOptions.Default with { Engine = "interpreter", ReadEnvironment = false };

    [Fact]
    public void TheRunCounterReportsEveryLiveObjectAndNoDisposedOne()
    {
        var prefix = "bookkept-" + Guid.NewGuid().ToString("N") + "-";
        var loaded = new List<BpfObject>();
        for (var i = 0; i < 10; i++)
        {
            loaded.Add(BpfObject.Load(ReturnsSeven, Interpreter, prefix + i));
        }
        try
        {
            for (var i = 0; i < loaded.Count; i++)
            {
                for (var run = 0; run <= i; run++)
                {
                    Assert.Equal(7UL, loaded[i].Programs["program"].Execute(0, 0));
                }
            }
            foreach (var index in new[] { 0, 4, 9 })
            {
                loaded[index].Dispose();
            }
            var dropped = LoadAndDrop(prefix + "dropped");
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();

            var runs = CollectRuns(prefix);

            // Each live object once, with its own count; the disposed ones not at all.
            var expected = new Dictionary<string, long>();
            foreach (var i in new[] { 1, 2, 3, 5, 6, 7, 8 })
            {
                expected[prefix + i] = i + 1;
            }
            if (dropped.IsAlive)
            {
                expected[prefix + "dropped"] = 1;
            }
            Assert.Equal(expected.OrderBy(e => e.Key), runs.OrderBy(e => e.Key));
        }
        finally
        {
            foreach (var item in loaded)
            {
                item.Dispose();
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference LoadAndDrop(string name)
    {
        var loaded = BpfObject.Load(ReturnsSeven, Interpreter, name);
        loaded.Programs["program"].Execute(0, 0);
        return new WeakReference(loaded);
    }

    /// <summary>The bpftime.runs values of the objects whose names start with <paramref name="prefix"/> (other tests load objects at the same time).</summary>
    private static Dictionary<string, long> CollectRuns(string prefix)
    {
        var runs = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == BpftimeMetrics.MeterName && instrument.Name == BpftimeMetrics.Runs)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == BpftimeMetrics.ObjectTag && tag.Value is string name && name.StartsWith(prefix, StringComparison.Ordinal))
                {
                    Assert.True(runs.TryAdd(name, value), $"object {name} was reported twice");
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return new Dictionary<string, long>(runs);
    }

    [Fact]
    public void NamedCollectionsHandOutReadOnlyViewsAndNameWhatTheyHave()
    {
        using var loaded = BpfObject.Load(ReturnsSeven, Interpreter, "views");

        var keys = Assert.IsAssignableFrom<IList<string>>(loaded.Programs.Keys);
        Assert.IsNotType<string[]>(keys);
        Assert.True(keys.IsReadOnly);
        Assert.Throws<NotSupportedException>(() => keys[0] = "other");
        var values = Assert.IsAssignableFrom<IList<BpfProgram>>(loaded.Programs.Values);
        Assert.IsNotType<BpfProgram[]>(values);
        Assert.Throws<NotSupportedException>(() => values[0] = null!);
        Assert.Equal(["program"], loaded.Programs.Keys);
        Assert.Same(loaded.Programs["program"], Assert.Single(loaded.Programs).Value);

        Assert.Throws<ArgumentNullException>(() => loaded.Programs.ContainsKey(null!));
        Assert.Throws<ArgumentNullException>(() => loaded.Maps.TryGetValue(null!, out _));
        // Names are ordinal: another case is another name.
        Assert.False(loaded.Programs.ContainsKey("PROGRAM"));
        var missing = Assert.Throws<BpfException>(() => loaded.Programs["PROGRAM"]);
        Assert.Equal(DiagnosticCodes.NameNotFound, missing.Diagnostic.Code);
        Assert.Contains("no program named 'PROGRAM'; the object has: program", missing.Message, StringComparison.Ordinal);
        var noMaps = Assert.Throws<BpfException>(() => loaded.Maps["counts"]);
        Assert.Contains("no map named 'counts'; the object has: none", noMaps.Message, StringComparison.Ordinal);
        Assert.Same(loaded.Maps, loaded.Maps);
    }

    [Fact]
    public void AHostTableKeepsItsHelpersInIdOrderWhateverOrderTheyCameIn()
    {
        static HelperFunction Helper(int id, string name) => new(id, name, HelperPrototype.Unchecked, (_, _, _, _, _) => (ulong)id);

        var table = new HelperTable("host", [Helper(5000, "e"), Helper(1000, "a"), Helper(int.MaxValue, "z")]);
        table.Add(Helper(1500, "c")).Add(Helper(-3, "negative")).Add(Helper(1000, "a2"));

        Assert.Equal(5, table.Count);
        Assert.Equal([-3, 1000, 1500, 5000, int.MaxValue], table.Select(h => h.Id));
        Assert.Equal("a2", table.Find(1000)!.Name);
        Assert.Equal("negative", table.Find(-3)!.Name);
        foreach (var absent in new[] { int.MinValue, -1, 0, 999, 1001, 4999, int.MaxValue - 1 })
        {
            Assert.Null(table.Find(absent));
            Assert.False(table.TryGet(absent, out _));
        }

        // Added to a standard set, a host helper takes its place after Linux's ids, and a replaced standard one is never made.
        var standard = StandardHelpers.CreateDefault(TraceSink.Discard);
        var held = standard.Count;
        standard.Add(Helper(1200, "host")).Add(Helper(HelperIds.KtimeGetNs, "clock"));
        Assert.Equal(held + 1, standard.Count);
        Assert.Equal(["clock", "host"], standard.Made().Select(h => h.Name));
        var ids = standard.Select(h => h.Id).ToList();
        Assert.Equal(ids.Order(), ids);
        Assert.Equal(1200, ids[^1]);
        Assert.Equal("clock", standard.Find(HelperIds.KtimeGetNs)!.Name);
    }
}
