using System.Diagnostics;
using System.Globalization;
using Bpftime.Compiler.Aot;
using Bpftime.Compiler.LlvmJit;
using Bpftime.Engines;
using Bpftime.Isa.Conformance;
using Bpftime.Tests.Conformance;
using Xunit.Abstractions;

namespace Bpftime.Compiler.Tests.Conformance;

/// <summary>
/// Prints compile times of a few conformance programs at O0 and O3 (run with a detailed console
/// logger to see them). Checks results only; timings are reported, never asserted.
/// </summary>
public sealed class CompileTimeReport(ITestOutputHelper output)
{
    private static readonly string[] Programs = ["alu64-arith.data", "call_local.data", "prime.data", "subnet.data", "ldxh-all.data"];

    [SkippableFact]
    public void Reports_compile_times_per_program()
    {
        Skip.If(ConformanceCases.TestsDirectory is null, ConformanceCases.SkipReason);
        LlvmRequirement.SkipIfMissing();
        var jit = new LlvmJitEngine();
        var aot = new AotEngine();
        // Warm up LLVM's one-time initialisation so the first row is not charged for it.
        Load(jit, "add.data", 3).Dispose();
        output.WriteLine("program              insns  engine    level  translate  optimise  codegen(+link)  total");
        foreach (var file in Programs)
        {
            foreach (var level in new[] { 0, 3 })
            {
                foreach (var engine in new IBpfEngine[] { jit, aot })
                {
                    if (!engine.IsAvailable(out _))
                    {
                        continue;
                    }
                    // The median of several loads, as the machine is shared and single loads are noisy.
                    var samples = new List<(TimeSpan Translate, TimeSpan Optimise, TimeSpan Total)>();
                    for (var i = 0; i < Repeats; i++)
                    {
                        var clock = Stopwatch.StartNew();
                        Load(engine, file, level).Dispose();
                        var total = clock.Elapsed;
                        var timings = engine is LlvmJitEngine j ? j.LastTimings! : ((AotEngine)engine).LastTimings!;
                        samples.Add((timings.Translation, timings.Optimization, total));
                    }
                    var translate = Median(samples.Select(s => s.Translate));
                    var optimise = Median(samples.Select(s => s.Optimise));
                    var whole = Median(samples.Select(s => s.Total));
                    var slots = ConformanceFile.Load(Path.Combine(ConformanceCases.TestsDirectory!, file)).Program().Length;
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{file,-20} {slots,5}  {engine.Name,-8}  O{level}     {Ms(translate),8}  {Ms(optimise),8}  {Ms(whole - translate - optimise),14}  {Ms(whole),6}"));
                }
            }
        }
    }

    private const int Repeats = 7;

    private static TimeSpan Median(IEnumerable<TimeSpan> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private static IBpfExecutable Load(IBpfEngine engine, string file, int level)
    {
        var vector = ConformanceFile.Load(Path.Combine(ConformanceCases.TestsDirectory!, file));
        var executable = engine.Load(ConformanceRunner.ImageOf(vector, verified: true), new EngineOptions { OptimizationLevel = level });
        return executable;
    }

    private static string Ms(TimeSpan span) => span.TotalMilliseconds.ToString("0.00", CultureInfo.InvariantCulture) + "ms";
}
