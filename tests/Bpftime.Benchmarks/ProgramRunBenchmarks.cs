using BenchmarkDotNet.Attributes;
using Bpftime.Execution;
using Bpftime.Hosting;

namespace Bpftime.Benchmarks;

/// <summary>
/// What the host path adds to a run (run with --bdn --filter *ProgramRun*): the engine's executable
/// alone, the same with the run counter's interlocked increment, and BpfProgram.Run (disposal and
/// context checks, the counter, the fault filter). The QuickStart checksum over a 64-byte buffer, on
/// the jit. The minimum is the figure to compare on a loaded machine.
/// </summary>
[MinColumn]
[MedianColumn]
public class ProgramRunBenchmarks
{
    private BpfObject _object = null!;
    private BpfProgram _program = null!;
    private IBpfExecutable _executable = null!;
    private byte[] _memory = [];
    private long _count;

    [GlobalSetup]
    public void Setup()
    {
        var path = Path.Combine(Repository.Root, "samples", "QuickStart", "filter.bpf.o");
        _object = BpfObject.Load(path, new BpfLoadOptions { Engine = "jit", ReadEnvironment = false, ContextSize = 64 });
        _program = _object.Programs["checksum"];
        _executable = _program.Executable;
        _memory = new byte[64];
        "Hello, eBPF from .NET!"u8.CopyTo(_memory);
    }

    [GlobalCleanup]
    public void Cleanup() => _object.Dispose();

    [Benchmark(Baseline = true)]
    public ulong Executable() => _executable.Run(_memory);

    [Benchmark]
    public ulong ExecutableAndCounter()
    {
        Interlocked.Increment(ref _count);
        return _executable.Run(_memory);
    }

    [Benchmark]
    public ulong Program() => _program.Run(_memory);
}
