using System.Diagnostics;
using Bpftime.Compiler.Aot;
using Bpftime.Compiler.IrGen;
using Bpftime.Compiler.LlvmJit;
using Bpftime.Linking.Native;
using Bpftime.Runtime.Tests.Engines.Aot;

namespace Bpftime.Benchmarks;

/// <summary>The LLVM load split into its phases, and the linker on the hand-written objects of tests/data/aot.</summary>
internal sealed partial class StopwatchHarness
{
    private const int LoadsPerRound = 5;

    private static readonly string[] LinkedTestObjects = ["helpers_meta.o", "loops.o", "maps_meta.o"];

    /// <summary>
    /// Per kernel and trusted LLVM level: translation to IR and the pass pipeline, as the engine records
    /// them (<c>LastTimings</c>), and the rest of the load (code generation, and for aot the link).
    /// </summary>
    private void CompilePhases(IReadOnlyList<ExecutionLevel> levels)
    {
        var llvm = levels.Where(l => l.Verified && l.Engine is LlvmJitEngine or AotEngine).ToList();
        output.WriteLine(Format($"### LLVM compile phases (us, median of {rounds} rounds of {LoadsPerRound} loads)"));
        output.WriteLine();
        if (llvm.Count == 0)
        {
            output.WriteLine("No LLVM level is available on this machine.");
            output.WriteLine();
            return;
        }
        var kernels = Kernel.All(_data).DistinctBy(k => k.NativeSymbol).ToList();
        var native = Kernel.ReadNativeObject(_data);
        // LLVM's one-time initialisation is charged to no row.
        llvm[0].Load(kernels[0].ToProgram(native)).Dispose();
        var samples = new Dictionary<(string Kernel, string Level), List<(TimeSpan Translate, TimeSpan Optimise, TimeSpan Total)>>();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var kernel in kernels)
            {
                var program = kernel.ToProgram(native);
                foreach (var level in llvm)
                {
                    var cell = samples.TryGetValue((kernel.Name, level.Name), out var list) ? list : samples[(kernel.Name, level.Name)] = [];
                    for (var i = 0; i < LoadsPerRound; i++)
                    {
                        var clock = Stopwatch.StartNew();
                        level.Load(program).Dispose();
                        var total = clock.Elapsed;
                        var phases = LastTimings(level);
                        cell.Add((phases.Translation, phases.Optimization, total));
                    }
                }
            }
        }
        var table = new MarkdownTable("program", "insns", "level", "translate", "optimise", "codegen (+link)", "total");
        foreach (var kernel in kernels)
        {
            foreach (var level in llvm)
            {
                var cell = samples[(kernel.Name, level.Name)];
                var translate = Timing.Median(cell.Select(s => s.Translate));
                var optimise = Timing.Median(cell.Select(s => s.Optimise));
                var total = Timing.Median(cell.Select(s => s.Total));
                table.Add(kernel.Name, Format($"{kernel.Code.Length}"), level.Name, Format($"{translate.TotalMicroseconds:F0}"),
                    Format($"{optimise.TotalMicroseconds:F0}"), Format($"{(total - translate - optimise).TotalMicroseconds:F0}"), Format($"{total.TotalMicroseconds:F0}"));
            }
        }
        table.Write(output);
    }

    private static CompileTimings LastTimings(ExecutionLevel level) => level.Engine switch
    {
        LlvmJitEngine jit => jit.LastTimings,
        AotEngine aot => aot.LastTimings,
        _ => null,
    } ?? throw new InvalidOperationException($"{level.Name} recorded no compile timings");

    /// <summary>Rows of the link table for the small hand-written objects (C with helpers, loops and a map) the linker's tests use.</summary>
    private void AddTestObjectLinks(MarkdownTable table)
    {
        using var map = new OneValueMap("totals");
        var options = new AotLinkOptions { Helpers = AotTestObjects.Helpers(), Maps = [map] };
        foreach (var name in LinkedTestObjects)
        {
            var bytes = AotTestObjects.Read(name);
            var time = Rounds([("link", () => Timing.Median(() => AotLinker.Link(bytes, options).Dispose(), 201, minimum: 21, budget: TimeSpan.FromSeconds(0.5)))])["link"];
            table.Add("tests/data/aot/" + name, Format($"{bytes.Length}"), Format($"{time.TotalMicroseconds:F1}"));
        }
    }
}
