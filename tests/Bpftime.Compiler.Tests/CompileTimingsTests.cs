using Bpftime.Compiler.Aot;
using Bpftime.Compiler.IrGen;
using Bpftime.Compiler.LlvmJit;
using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;

namespace Bpftime.Compiler.Tests;

/// <summary>
/// The LLVM engines record each load's phases (the benchmarks' compile section reads them); the
/// durations themselves are measured there, never asserted here.
/// </summary>
public sealed class CompileTimingsTests
{
    [SkippableTheory]
    [InlineData("llvm-jit", 0)]
    [InlineData("llvm-jit", 3)]
    [InlineData("aot", 0)]
    [InlineData("aot", 3)]
    public void EachLoadRecordsItsCompilePhases(string engineName, int level)
    {
        LlvmRequirement.SkipIfMissing();
        var jit = new LlvmJitEngine();
        var aot = new AotEngine();
        IBpfEngine engine = engineName == "aot" ? aot : jit;
        CompileTimings? Last() => engine == aot ? aot.LastTimings : jit.LastTimings;
        Assert.Null(Last());

        var image = new ProgramImage("timed", new[] { Code.Mov64(0, 40), Code.Add64(0, 2), Code.Exit() }, new HelperTable("none"));
        using (var executable = engine.Load(image, new EngineOptions { OptimizationLevel = level }))
        {
            Assert.Equal(42UL, executable.Run([]));
        }
        var first = Last();
        Assert.NotNull(first);

        engine.Load(image, new EngineOptions { OptimizationLevel = level }).Dispose();
        Assert.NotSame(first, Last());
    }
}
