using BenchmarkDotNet.Running;
using Bpftime.Benchmarks;

// Default: the Stopwatch harness (all sections, or those named: run, load, compile, link, emit, maps), each
// figure the median of --rounds N interleaved rounds (default 5).
// --bdn [BenchmarkDotNet arguments]: the full BenchmarkDotNet run.
if (args.Length > 0 && args[0] == "--bdn")
{
    BenchmarkSwitcher.FromAssembly(typeof(EngineBenchmarks).Assembly).Run(args[1..]);
    return 0;
}
var rounds = 5;
var roundsAt = Array.IndexOf(args, "--rounds");
if (roundsAt >= 0)
{
    if (roundsAt + 1 >= args.Length || !int.TryParse(args[roundsAt + 1], out rounds) || rounds < 1)
    {
        Console.Error.WriteLine("--rounds takes a positive number");
        return 2;
    }
    args = [.. args[..roundsAt], .. args[(roundsAt + 2)..]];
}
// --dump DIR: write each kernel's AOT objects (O0 and O3) there, for objdump, and stop.
var dumpAt = Array.IndexOf(args, "--dump");
if (dumpAt >= 0 && dumpAt + 1 < args.Length)
{
    StopwatchHarness.DumpAotObjects(args[dumpAt + 1], Console.Out);
    return 0;
}
var unknown = args.Except(StopwatchHarness.SectionNames).ToList();
if (unknown.Count > 0)
{
    Console.Error.WriteLine($"unknown section(s) {string.Join(", ", unknown)}; sections: {string.Join(", ", StopwatchHarness.SectionNames)}, or --bdn");
    return 2;
}
try
{
    new StopwatchHarness(Console.Out, new HashSet<string>(args.Length == 0 ? StopwatchHarness.SectionNames : args), rounds).Run();
    return 0;
}
catch (ResultMismatchException e)
{
    Console.Out.Flush();
    Console.Error.WriteLine("MISMATCH: " + e.Message);
    return 1;
}
