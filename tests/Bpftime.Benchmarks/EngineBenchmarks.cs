using BenchmarkDotNet.Attributes;
using Bpftime.Engines;
using Bpftime.Engines.Interpreter;
using Bpftime.Engines.X64;
using Bpftime.Helpers;

namespace Bpftime.Benchmarks;

/// <summary>The kernels on each engine, under BenchmarkDotNet (run with --bdn).</summary>
[MemoryDiagnoser]
public class EngineBenchmarks
{
    private IBpfExecutable _executable = null!;
    private byte[] _memory = [];

    [ParamsSource(nameof(KernelNames))]
    public string Kernel { get; set; } = "";

    [Params("interpreter", "jit")]
    public string Engine { get; set; } = "";

    public static IEnumerable<string> KernelNames => Benchmarks.Kernel.All(Repository.DataDirectory).Select(k => k.Name);

    [GlobalSetup]
    public void Setup()
    {
        var kernel = Benchmarks.Kernel.All(Repository.DataDirectory).Single(k => k.Name == Kernel);
        IBpfEngine engine = Engine == "jit" ? X64JitEngine.Instance : InterpreterEngine.Instance;
        _executable = engine.Load(new ProgramImage(kernel.Name, kernel.Code, new HelperTable("none")) { Verified = true }, EngineOptions.Default);
        _memory = kernel.CreateMemory();
    }

    [GlobalCleanup]
    public void Cleanup() => _executable.Dispose();

    [Benchmark]
    public ulong Run() => _executable.Run(_memory);
}
