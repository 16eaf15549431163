using BenchmarkDotNet.Attributes;
using Bpftime.Engines;
using Bpftime.Execution;

namespace Bpftime.Benchmarks;

/// <summary>Map lookups and updates from a program on every level, under BenchmarkDotNet (one operation = one helper call).</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable",
    Justification = "BenchmarkDotNet owns the instance's lifetime: [GlobalCleanup] disposes what [GlobalSetup] made.")]
public class MapBenchmarks
{
    private MapKernels _kernels = null!;
    private IBpfExecutable _executable = null!;
    private byte[] _context = [];

    [Params("array_lookup", "array_update", "hash_lookup", "hash_update", "hash_delete_insert", "percpu_lookup", "percpu_update",
        "lru_update", "lru_update_call", "lru_delete_insert", "lru_delete_insert_call")]
    public string Program { get; set; } = "";

    [ParamsSource(nameof(LevelNames))]
    public string Level { get; set; } = "";

    public static IEnumerable<string> LevelNames => ExecutionLevel.Available().Select(l => l.Name);

    [GlobalSetup]
    public void Setup()
    {
        _kernels = new MapKernels(Repository.DataDirectory);
        _executable = ExecutionLevel.Named(Level).Load(_kernels.Programs.Single(p => p.Name == Program));
        _context = MapKernels.Context(StopwatchHarness.MapIterations);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _executable.Dispose();
        _kernels.Dispose();
    }

    [Benchmark(OperationsPerInvoke = (int)StopwatchHarness.MapIterations)]
    public ulong Run() => _executable.Run(_context);
}
