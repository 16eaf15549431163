using BenchmarkDotNet.Running;
using Bpftime.Benchmarks;

// Default: a quick Stopwatch harness. --bdn [BenchmarkDotNet arguments]: the full BenchmarkDotNet run.
if (args.Length > 0 && args[0] == "--bdn")
{
    BenchmarkSwitcher.FromAssembly(typeof(EngineBenchmarks).Assembly).Run(args[1..]);
}
else
{
    StopwatchHarness.Run(Console.Out);
}
