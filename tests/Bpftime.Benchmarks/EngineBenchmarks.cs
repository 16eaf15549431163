using BenchmarkDotNet.Attributes;
using Bpftime.Engines;
using Bpftime.Execution;

namespace Bpftime.Benchmarks;

/// <summary>The kernels on every level, native C included, under BenchmarkDotNet (run with --bdn).</summary>
[MemoryDiagnoser]
public class EngineBenchmarks
{
    private IBpfExecutable _executable = null!;
    private byte[] _memory = [];

    [ParamsSource(nameof(KernelNames))]
    public string Kernel { get; set; } = "";

    [ParamsSource(nameof(LevelNames))]
    public string Level { get; set; } = "";

    public static IEnumerable<string> KernelNames => Benchmarks.Kernel.All(Repository.DataDirectory).Select(k => k.Name);

    public static IEnumerable<string> LevelNames => ExecutionLevel.Available().Select(l => l.Name);

    [GlobalSetup]
    public void Setup()
    {
        var kernel = Benchmarks.Kernel.All(Repository.DataDirectory).Single(k => k.Name == Kernel);
        _executable = ExecutionLevel.Named(Level).Load(kernel.ToProgram(Benchmarks.Kernel.ReadNativeObject(Repository.DataDirectory)));
        _memory = kernel.CreateMemory();
    }

    [GlobalCleanup]
    public void Cleanup() => _executable.Dispose();

    [Benchmark]
    public ulong Run() => _executable.Run(_memory);
}
