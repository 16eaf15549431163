using Bpftime.Compiler.LlvmJit;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;

namespace Bpftime.Compiler.Tests;

public sealed class LlvmJitEngineTests
{
    private static ulong Run(Instruction[] code, HelperTable? helpers = null, int level = 3, byte[]? memory = null)
    {
        var engine = new LlvmJitEngine();
        var image = new ProgramImage("test", code, helpers ?? new HelperTable("none"));
        using var executable = engine.Load(image, new EngineOptions { OptimizationLevel = level });
        return executable.Run(memory ?? []);
    }

    [SkippableTheory]
    [InlineData(0)]
    [InlineData(3)]
    public void ReturnsR0(int level)
    {
        LlvmRequirement.SkipIfMissing();
        Assert.Equal(42UL, Run([Code.Mov64(0, 40), Code.Add64(0, 2), Code.Exit()], level: level));
    }

    [SkippableFact]
    public void CallsHelpersAndStopsOnZero()
    {
        LlvmRequirement.SkipIfMissing();
        var helpers = new HelperTable("test", [
            new HelperFunction(1, "triple", HelperPrototype.Unchecked, (a, _, _, _, _) => a * 3),
            new HelperFunction(5, "unwind", HelperPrototype.Unchecked, (a, _, _, _, _) => a, stopsProgramOnZero: true),
        ]);
        Assert.Equal(21UL, Run([Code.Mov64(1, 7), Code.Call(1), Code.Exit()], helpers));
        // call 5 with r1 = 0 stops with r0 = 0 before r0 = 2.
        Assert.Equal(0UL, Run([Code.Mov64(1, 0), Code.Call(5), Code.Mov64(0, 2), Code.Exit()], helpers));
        Assert.Equal(2UL, Run([Code.Mov64(1, 1), Code.Call(5), Code.Mov64(0, 2), Code.Exit()], helpers));
        // The same stop inside a local call unwinds through the caller.
        Instruction[] nested =
        [
            Code.Mov64(1, 0), Code.CallLocal(2), Code.Mov64(0, 2), Code.Exit(),
            Code.Call(5), Code.Mov64(0, 9), Code.Exit(),
        ];
        Assert.Equal(0UL, Run(nested, helpers));
    }

    [SkippableFact]
    public void LocalCallsPreserveCalleeSavedRegistersAndUseTheirOwnFrame()
    {
        LlvmRequirement.SkipIfMissing();
        Instruction[] code =
        [
            Code.Mov64(6, 100), Code.Mov64(1, 5), Code.StoreDw(10, 1, -8), Code.CallLocal(4),
            Code.LoadDw(2, 10, -8), Code.Alu64Reg(AluOperation.Add, 0, 6), Code.Alu64Reg(AluOperation.Add, 0, 2), Code.Exit(),
            Code.Mov64(6, 1), Code.Mov64(7, 77), Code.StoreDw(10, 7, -8), Code.Mov64Reg(0, 1), Code.Alu64Reg(AluOperation.Mul, 0, 1), Code.Exit(),
        ];
        // The callee (slot 8) squares r1 and scribbles over r6, r7 and its own frame; the caller sees none of it.
        Assert.Equal(25UL + 100 + 5, Run(code));
    }

    [SkippableFact]
    public void DivisionByZeroAndOverflowFollowTheRfc()
    {
        LlvmRequirement.SkipIfMissing();
        foreach (var level in new[] { 0, 3 })
        {
            Assert.Equal(0UL, Run([Code.Mov64(0, 7), Code.Mov64(1, 0), Code.Alu64Reg(AluOperation.Div, 0, 1), Code.Exit()], level: level));
            Assert.Equal(7UL, Run([Code.Mov64(0, 7), Code.Mov64(1, 0), Code.Alu64Reg(AluOperation.Mod, 0, 1), Code.Exit()], level: level));
            Instruction[] minOverMinusOne = [.. Code.LoadImm64(0, long.MinValue), Code.Mov64(1, -1), Code.Alu64Reg(AluOperation.Div, 0, 1, offset: 1), Code.Exit()];
            Assert.Equal(unchecked((ulong)long.MinValue), Run(minOverMinusOne, level: level));
            Instruction[] minModMinusOne = [.. Code.LoadImm64(0, long.MinValue), Code.Mov64(1, -1), Code.Alu64Reg(AluOperation.Mod, 0, 1, offset: 1), Code.Exit()];
            Assert.Equal(0UL, Run(minModMinusOne, level: level));
            Assert.Equal(unchecked((ulong)-7L), Run([Code.Mov64(0, 7), Code.Mov64(1, -1), Code.Alu64Reg(AluOperation.Div, 0, 1, offset: 1), Code.Exit()], level: level));
            Assert.Equal(0xffff_fff9UL, Run([Code.Mov64(0, 7), Code.Mov64(1, -1), Code.Alu32Reg(AluOperation.Div, 0, 1, offset: 1), Code.Exit()], level: level));
        }
    }

    [SkippableFact]
    public void RefusesUnknownHelpersWithACode()
    {
        LlvmRequirement.SkipIfMissing();
        var error = Assert.Throws<BpfException>(() => Run([Code.Call(99), Code.Exit()]));
        Assert.Equal(DiagnosticCodes.IrUnknownHelper, error.Code);
        var jump = Assert.Throws<BpfException>(() => Run([Code.JeqImm(0, 0, 5), Code.Exit()]));
        Assert.Equal(DiagnosticCodes.IrBadControlFlow, jump.Code);
    }

    [SkippableFact]
    public void LoadsOnSeveralThreadsAtOnce()
    {
        LlvmRequirement.SkipIfMissing();
        var engine = new LlvmJitEngine();
        var results = new ulong[8];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var image = new ProgramImage($"p{i}", (Instruction[])[Code.Mov64(0, i), Code.Add64(0, 1000), Code.Exit()], new HelperTable("none"));
            using var executable = engine.Load(image, new EngineOptions { OptimizationLevel = i % 4 });
            results[i] = executable.Execute(0, 0);
        });
        Assert.Equal(Enumerable.Range(1000, results.Length).Select(v => (ulong)v), results);
    }
}
