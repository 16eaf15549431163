using Bpftime.Compiler.Aot;
using Bpftime.Compiler.LlvmJit;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Helpers;
using Bpftime.Isa;

namespace Bpftime.Compiler.Tests;

public sealed class TargetCpuTests
{
    private static readonly Instruction[] Program = [Code.Mov64(0, 6), Code.Mov64(1, 7), Code.Alu64Reg(AluOperation.Mul, 0, 1), Code.Exit()];

    [SkippableTheory]
    [InlineData("generic")]
    [InlineData("native")]
    public void TheJitCompilesForAGenericOrTheHostCpu(string cpu)
    {
        LlvmRequirement.SkipIfMissing();
        using var executable = new LlvmJitEngine().Load(new ProgramImage("cpu", Program, ConformanceHelpers.Create()) { Verified = true },
            new EngineOptions { OptimizationLevel = 3, TargetCpu = cpu });
        Assert.Equal(42UL, executable.Execute(0, 0));
    }

    [SkippableTheory]
    [InlineData("x86_64", "skylake")]
    [InlineData("aarch64", "cortex-a72")]
    public void ObjectsCompileForANamedCpu(string triple, string cpu)
    {
        LlvmRequirement.SkipIfMissing();
        var result = AotCompiler.Compile(new AotCompilation
        {
            Triple = triple,
            TargetCpu = cpu,
            Helpers = ConformanceHelpers.Create(),
            Programs = [new AotProgramSource("cpu", Program)],
        });
        Assert.Equal(cpu, result.Metadata.TargetCpu);
        Assert.NotEmpty(result.Bytes);
    }

    [SkippableFact]
    public void NativeCannotBeUsedForAnotherArchitectureAndUnknownTriplesAreRefused()
    {
        LlvmRequirement.SkipIfMissing();
        var other = AotCompiler.NormalizeTriple(System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture
            == System.Runtime.InteropServices.Architecture.Arm64 ? "x86_64" : "aarch64");
        var native = Assert.Throws<BpfException>(() => AotCompiler.Compile(new AotCompilation
        {
            Triple = other,
            TargetCpu = "native",
            Helpers = ConformanceHelpers.Create(),
            Programs = [new AotProgramSource("cpu", Program)],
        }));
        Assert.Equal(DiagnosticCodes.TargetUnavailable, native.Code);
        var unknown = Assert.Throws<BpfException>(() => AotCompiler.Compile(new AotCompilation
        {
            Triple = "sparc-sun-solaris",
            Helpers = ConformanceHelpers.Create(),
            Programs = [new AotProgramSource("cpu", Program)],
        }));
        Assert.Equal(DiagnosticCodes.TargetUnavailable, unknown.Code);
        var level = Assert.Throws<BpfException>(() => new LlvmJitEngine().Load(new ProgramImage("cpu", Program, ConformanceHelpers.Create()),
            new EngineOptions { OptimizationLevel = 4 }));
        Assert.Equal(DiagnosticCodes.OptimizationFailed, level.Code);
    }
}
