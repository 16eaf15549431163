using BenchmarkDotNet.Running;
using Bpftime.Benchmarks;

// Default: the Stopwatch harness (all sections, or those named: run, load, compile, link, emit, maps, startup),
// each figure the median of --rounds N interleaved rounds (default 5); the status of the run on
// standard error when it is a terminal.
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
// --minimum: each round keeps its fastest call instead of the median (for a loaded machine).
var minimumAt = Array.IndexOf(args, "--minimum");
if (minimumAt >= 0)
{
    Timing.UseMinimum = true;
    args = [.. args[..minimumAt], .. args[(minimumAt + 1)..]];
}
// --kernels a,b: only these compute kernels in the run table.
string[]? kernelNames = null;
var kernelsAt = Array.IndexOf(args, "--kernels");
if (kernelsAt >= 0)
{
    if (kernelsAt + 1 >= args.Length)
    {
        Console.Error.WriteLine("--kernels takes a comma-separated list of kernel names");
        return 2;
    }
    kernelNames = args[kernelsAt + 1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    args = [.. args[..kernelsAt], .. args[(kernelsAt + 2)..]];
}
// --levels "a,b": only these rows (native is always measured when there is a run table to divide by).
string[]? levelNames = null;
var levelsAt = Array.IndexOf(args, "--levels");
if (levelsAt >= 0)
{
    if (levelsAt + 1 >= args.Length)
    {
        Console.Error.WriteLine("--levels takes a comma-separated list of level names");
        return 2;
    }
    levelNames = args[levelsAt + 1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    args = [.. args[..levelsAt], .. args[(levelsAt + 2)..]];
}
// --dump DIR: write each kernel's AOT objects (O0 and O3) there, for objdump, and stop.
var dumpAt = Array.IndexOf(args, "--dump");
if (dumpAt >= 0 && dumpAt + 1 < args.Length)
{
    StopwatchHarness.DumpAotObjects(args[dumpAt + 1], Console.Out);
    return 0;
}
// report: every section, written into docs/benchmarks.md (between its markers) and docs/benchmarks.png.
if (args.Length == 1 && args[0] == "report")
{
    try
    {
        BenchmarkReport.Run(rounds, Progress.ForConsole(), Console.Out);
        return 0;
    }
    catch (Exception e) when (e is ResultMismatchException or InvalidDataException)
    {
        Console.Error.WriteLine((e is ResultMismatchException ? "MISMATCH: " : "") + e.Message);
        return 1;
    }
}
var unknown = args.Except(StopwatchHarness.SectionNames).ToList();
if (unknown.Count > 0)
{
    Console.Error.WriteLine($"unknown section(s) {string.Join(", ", unknown)}; sections: {string.Join(", ", StopwatchHarness.SectionNames)}, or --bdn");
    return 2;
}
try
{
    new StopwatchHarness(Console.Out, new HashSet<string>(args.Length == 0 ? StopwatchHarness.SectionNames : args), rounds) { KernelNames = kernelNames, LevelNames = levelNames, Progress = Progress.ForConsole() }.Run();
    return 0;
}
catch (ResultMismatchException e)
{
    Console.Out.Flush();
    Console.Error.WriteLine("MISMATCH: " + e.Message);
    return 1;
}
