using Bpftime.Compiler.Aot;
using Bpftime.Compiler.LlvmJit;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Maps;

namespace Bpftime.Compiler.Tests;

/// <summary>Unverified programs on the LLVM JIT: every access is checked and a bad one faults with a code.</summary>
public sealed class LlvmJitCheckedAccessTests : CheckedAccessTests
{
    protected override IBpfEngine CreateEngine() => new LlvmJitEngine();
}

/// <summary>The same faults on native objects: compiled checked, linked by the runtime's linker.</summary>
public sealed class AotCheckedAccessTests : CheckedAccessTests
{
    protected override IBpfEngine CreateEngine() => new AotEngine();
}

/// <summary>Unverified programs on an LLVM engine: every access is checked and a bad one faults with a code.</summary>
public abstract class CheckedAccessTests
{
    protected abstract IBpfEngine CreateEngine();

    private ulong Run(Instruction[] code, byte[] memory, int level, IReadOnlyList<BpfMap>? maps = null, HelperTable? helpers = null)
    {
        var image = new ProgramImage("checked", code, helpers ?? ConformanceHelpers.Create()) { Maps = maps ?? [], Verified = false };
        using var executable = CreateEngine().Load(image, new EngineOptions { OptimizationLevel = level });
        return executable.Run(memory);
    }

    [SkippableTheory]
    [InlineData(0)]
    [InlineData(3)]
    public void ReadsInsideTheContextAndFaultsPastIt(int level)
    {
        LlvmRequirement.SkipIfMissing();
        var memory = new byte[16];
        BitConverter.TryWriteBytes(memory.AsSpan(8), 77L);
        Assert.Equal(77UL, Run([Code.LoadDw(0, 1, 8), Code.Exit()], memory, level));
        var error = Assert.Throws<BpfException>(() => Run([Code.LoadDw(0, 1, 9), Code.Exit()], memory, level));
        // The interpreter's report for this access, which every engine shares.
        Assert.Equal(DiagnosticCodes.ContextAccessOutOfBounds, error.Code);
        Assert.Equal(0, error.Diagnostic.InstructionIndex);
        var nullRead = Assert.Throws<BpfException>(() => Run([Code.Mov64(1, 0), Code.LoadDw(0, 1, 0), Code.Exit()], memory, level));
        Assert.Equal(DiagnosticCodes.NullPointerAccess, nullRead.Code);
        Assert.Equal(1, nullRead.Diagnostic.InstructionIndex);
    }

    [SkippableTheory]
    [InlineData(0)]
    [InlineData(3)]
    public void ACalleeMayUseItsCallersFrameButNotBeyondTheStack(int level)
    {
        LlvmRequirement.SkipIfMissing();
        Instruction[] code =
        [
            Code.Mov64(2, 9), Code.StoreDw(10, 2, -8), Code.Mov64Reg(1, 10), Code.Add64(1, -8), Code.CallLocal(1), Code.Exit(),
            Code.LoadDw(0, 1, 0), Code.Exit(),
        ];
        Assert.Equal(9UL, Run(code, [], level));
        Instruction[] overflow = [Code.LoadDw(0, 10, 0), Code.Exit()];
        var error = Assert.Throws<BpfException>(() => Run(overflow, [], level));
        Assert.Equal(DiagnosticCodes.StackAccessOutOfBounds, error.Code);
        // A fault two calls deep unwinds every frame and reports the faulting slot.
        Instruction[] deep =
        [
            Code.CallLocal(1), Code.Exit(),
            Code.CallLocal(1), Code.Exit(),
            Code.Mov64(3, 0), Code.LoadDw(0, 3, 16), Code.Exit(),
        ];
        var deepError = Assert.Throws<BpfException>(() => Run(deep, [], level));
        Assert.Equal(5, deepError.Diagnostic.InstructionIndex);
    }

    [SkippableTheory]
    [InlineData(0)]
    [InlineData(3)]
    public void MapValuesAreReachableAndReadOnlyOnesRefuseWrites(int level)
    {
        LlvmRequirement.SkipIfMissing();
        using var rodata = ArrayMap.Create(".rodata", 8, 1, readOnlyForPrograms: true);
        BitConverter.TryWriteBytes(rodata.GetValue(0), 5L);
        Instruction[] read =
        [
            new(Opcodes.LoadImm64, 1, (byte)LoadImm64Source.MapValueByIndex, 0, 0), new(0, 0, 0, 0, 0),
            Code.LoadDw(0, 1, 0), Code.Exit(),
        ];
        Assert.Equal(5UL, Run(read, [], level, [rodata]));
        Instruction[] write =
        [
            new(Opcodes.LoadImm64, 1, (byte)LoadImm64Source.MapValueByIndex, 0, 0), new(0, 0, 0, 0, 0),
            Code.StoreDw(1, 1, 0), Code.Exit(),
        ];
        var error = Assert.Throws<BpfException>(() => Run(write, [], level, [rodata]));
        Assert.Equal(DiagnosticCodes.WriteToReadOnlyMemory, error.Code);
    }

    [SkippableFact]
    public void CallxWithAnUnknownIdFaults()
    {
        LlvmRequirement.SkipIfMissing();
        var error = Assert.Throws<BpfException>(() => Run([Code.Mov64(2, 99), new(Opcodes.CallRegister, 2, 0, 0, 0), Code.Exit()], [], 3));
        Assert.Equal(DiagnosticCodes.JitUnknownHelperAtRunTime, error.Code);
    }

    [SkippableTheory]
    [InlineData(0)]
    [InlineData(3)]
    public void ArrayValuesAreCheckedInlineAndADisposedMapIsNoLongerReachable(int level)
    {
        LlvmRequirement.SkipIfMissing();
        var data = ArrayMap.Create(".data", 16, 1);
        Instruction[] bump =
        [
            new(Opcodes.LoadImm64, 1, (byte)LoadImm64Source.MapValueByIndex, 0, 0), new(0, 0, 0, 0, 8),
            Code.LoadDw(0, 1, 0), Code.Add64(0, 1), Code.StoreDw(1, 0, 0), Code.Exit(),
        ];
        var image = new ProgramImage("bump", bump, ConformanceHelpers.Create()) { Maps = [data], Verified = false };
        using var executable = CreateEngine().Load(image, new EngineOptions { OptimizationLevel = level });
        Assert.Equal(1UL, executable.Execute(0, 0));
        Assert.Equal(2UL, executable.Execute(0, 0));
        data.Dispose();
        var error = Assert.Throws<BpfException>(() => executable.Execute(0, 0));
        Assert.Equal(DiagnosticCodes.UnknownMemoryAccess, error.Code);
    }
}
