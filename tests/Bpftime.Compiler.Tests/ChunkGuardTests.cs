using Bpftime.Compiler.Aot;
using Bpftime.Compiler.LlvmJit;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.Interpreter;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Maps;
using Bpftime.Objects;

namespace Bpftime.Compiler.Tests;

/// <summary>
/// Checked loops that run in strips: a guard admits an unchecked copy of the body for 32 iterations
/// only when every strided access stays in one region for all of them and the budget lasts. Each
/// case runs on the interpreter (checked) and on llvm-jit and aot (checked) and must agree on r0,
/// the fault's code and instruction, and the context's bytes after the run: a strip that would have
/// faulted, stored past its fault or spent a budget it did not have would show up as a difference.
/// </summary>
public sealed class ChunkGuardTests
{
    private const long Budget = 100_000;

    private static readonly HelperTable NoHelpers = new("none", []);

    public static TheoryData<string> Engines => ["llvm-jit", "aot"];

    private static IBpfEngine Engine(string name) => name switch
    {
        "llvm-jit" => new LlvmJitEngine(),
        _ => new AotEngine(),
    };

    private sealed record Outcome(ulong? R0, string? Code, int? Instruction, string Context);

    private static Outcome Run(IBpfExecutable executable, byte[] context)
    {
        try
        {
            var r0 = executable.Run(context);
            return new Outcome(r0, null, null, Convert.ToHexString(context));
        }
        catch (BpfException e)
        {
            return new Outcome(null, e.Code, e.Diagnostic.InstructionIndex, Convert.ToHexString(context));
        }
    }

    /// <summary>Runs <paramref name="code"/> on every context given, on the engine and on the interpreter, and compares.</summary>
    private static void AssertSameAsInterpreter(string engine, Instruction[] code, IEnumerable<byte[]> contexts, long budget = Budget, int level = 3)
    {
        var image = new ProgramImage("strip", code, NoHelpers) { Verified = false };
        using var reference = InterpreterEngine.Instance.Load(image, new EngineOptions { ExecutionBudget = budget });
        using var executable = Engine(engine).Load(image, new EngineOptions { OptimizationLevel = level, ExecutionBudget = budget });
        foreach (var context in contexts)
        {
            var expected = Run(reference, (byte[])context.Clone());
            var actual = Run(executable, (byte[])context.Clone());
            Assert.True(expected == actual, $"context of {context.Length} bytes: interpreter {expected}, {engine} {actual}");
        }
    }

    /// <summary>Contexts of every length up to <paramref name="longest"/>, each byte its index plus one.</summary>
    private static IEnumerable<byte[]> Contexts(int longest) =>
        Enumerable.Range(0, longest + 1).Select(length => Enumerable.Range(1, length).Select(i => (byte)i).ToArray());

    private static string Ir(Instruction[] code) =>
        AotCompiler.EmitIr(new AotCompilation
        {
            Triple = "x86_64",
            Helpers = NoHelpers,
            SourceName = "strip.bpf.o",
            Programs = [new AotProgramSource("strip", code) { Verified = false }],
            Maps = [new MapSpec(".data", MapType.Array, 4, 48, 1)],
        }, optimize: false);

    private static void AssertStrips(Instruction[] code, bool expected) =>
        Assert.Equal(expected, Ir(code).Contains("strip.back", StringComparison.Ordinal));

    /// <summary>
    /// Walks the context from r1 + start (or, for a negative stride, from r1 + len + start) by
    /// <paramref name="stride"/>, summing loads of <paramref name="size"/> bytes and storing the running
    /// sum's low byte back at each address, for len + extra iterations: every length walks off at a
    /// different place in a strip.
    /// </summary>
    private static Instruction[] Walk(int stride, int size, int start, int extra)
    {
        var p = new Program();
        p.Mov(0, 0).MovReg(3, 2).Add(3, extra);
        if (stride < 0)
        {
            p.MovReg(6, 2).Add(6, start);
        }
        else
        {
            p.Mov(6, start);
        }
        p.Label("loop")
            .MovReg(4, 1).AddReg(4, 6)
            .Load(size, 5, 4, 0).AddReg(0, 5)
            .Store(1, 4, 0, 0)
            .Add(6, stride).Add(3, -1)
            .JumpImm(0x55, 3, 0, "loop") // if r3 != 0 goto loop
            .Exit();
        return p.Build();
    }

    public static TheoryData<string, int, int> Walks
    {
        get
        {
            var data = new TheoryData<string, int, int>();
            foreach (var engine in new[] { "llvm-jit", "aot" })
            {
                foreach (var (stride, size) in new[] { (1, 1), (-1, 1), (2, 2), (-2, 2), (8, 8), (-8, 8), (1, 8), (-1, 4) })
                {
                    data.Add(engine, stride, size);
                }
            }
            return data;
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Walks))]
    public void WalksOffTheContextAtEveryPositionOfAStrip(string engine, int stride, int size)
    {
        LlvmRequirement.SkipIfMissing();
        var start = stride < 0 ? -size : 0;
        var code = Walk(stride, size, start, extra: 1);
        AssertStrips(code, true);
        AssertSameAsInterpreter(engine, code, Contexts(80));
        // A walk that stays inside for some lengths (fewer iterations than bytes) and ends normally.
        AssertSameAsInterpreter(engine, Walk(stride, size, start, extra: -3 * Math.Abs(stride) - size), Contexts(80).Skip(3 * Math.Abs(stride) + size + 1));
    }

    [SkippableTheory]
    [MemberData(nameof(Engines))]
    public void AWalkStartingBelowOrPastTheContextFaultsAtOnce(string engine)
    {
        LlvmRequirement.SkipIfMissing();
        AssertSameAsInterpreter(engine, Walk(1, 1, -1, extra: 1), Contexts(40));
        AssertSameAsInterpreter(engine, Walk(-1, 1, 0, extra: 1), Contexts(40));
        AssertSameAsInterpreter(engine, Walk(8, 8, -64, extra: 100), Contexts(70));
    }

    [SkippableTheory]
    [MemberData(nameof(Engines))]
    public void AddressesThatWrapThroughZeroOrTwoToTheSixtyFourFault(string engine)
    {
        LlvmRequirement.SkipIfMissing();
        // r6 = 5 - r1, so r1 + r6 + r2 starts at absolute address 5 and walks down through 0; and
        // r6 = -5 - r1, walking up through 2^64.
        foreach (var (offset, stride) in new[] { (5, -1), (-5, 1), (0, -8) })
        {
            var code = new Program()
                .Mov(0, 0).Mov(6, offset).Alu64Reg(AluOperation.Sub, 6, 1).Mov(2, 0).Mov(3, 40)
                .Label("loop")
                .MovReg(4, 1).AddReg(4, 6).AddReg(4, 2)
                .Load(1, 5, 4, 0).AddReg(0, 5)
                .Add(2, stride).Add(3, -1)
                .JumpImm(0x55, 3, 0, "loop")
                .Exit().Build();
            AssertStrips(code, true);
            AssertSameAsInterpreter(engine, code, Contexts(8));
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Engines))]
    public void TwoInductionRegistersWithDifferentStepsCopyUntilOneLeavesTheContext(string engine)
    {
        LlvmRequirement.SkipIfMissing();
        // memcpy-like: dst = r1 + r7 (r7 += 3), src = r1 + r6 (r6 += 1), with a third address r1 + r6 + r7 (stride 4).
        var code = new Program()
            .Mov(0, 0).Mov(6, 0).Mov(7, 8).MovReg(3, 2)
            .Label("loop")
            .MovReg(4, 1).AddReg(4, 6).Load(1, 5, 4, 0)
            .MovReg(8, 1).AddReg(8, 7).Store(1, 8, 5, 0)
            .MovReg(9, 6).AddReg(9, 7).AddReg(9, 1).Load(1, 5, 9, 1).AddReg(0, 5)
            .Add(6, 1).Add(7, 3).Add(3, -1)
            .JumpImm(0x55, 3, 0, "loop")
            .Exit().Build();
        AssertStrips(code, true);
        AssertSameAsInterpreter(engine, code, Contexts(150));
    }

    [SkippableTheory]
    [MemberData(nameof(Engines))]
    public void ALoopWhoseBoundGrowsRunsUntilItsAccessFaults(string engine)
    {
        LlvmRequirement.SkipIfMissing();
        // The bound r3 grows by 2 while the index grows by 1: only the context's end stops it. The
        // index steps after the access, in a block that every iteration passes.
        var code = new Program()
            .Mov(0, 0).Mov(6, 0).Mov(3, 4)
            .Label("loop")
            .MovReg(4, 1).AddReg(4, 6).Load(2, 5, 4, 0).AddReg(0, 5).Store(2, 4, 0, 0)
            .Add(3, 2).Add(6, 1)
            .JumpReg(0xad, 6, 3, "loop") // if r6 < r3 goto loop
            .Exit().Build();
        AssertStrips(code, true);
        AssertSameAsInterpreter(engine, code, Contexts(75));
    }

    [SkippableTheory]
    [MemberData(nameof(Engines))]
    public void TheBudgetRunsOutInsideAStripAtItsEdgeAndInTheGuardsWindow(string engine)
    {
        LlvmRequirement.SkipIfMissing();
        // 100 iterations over a 100-byte context, storing each index: the stores before the budget
        // fault must be exactly those of the iterations it paid for.
        var code = Walk(1, 1, 0, extra: 0);
        var context = new[] { Enumerable.Range(0, 100).Select(i => (byte)i).ToArray() };
        foreach (var budget in Enumerable.Range(1, 70).Concat([95, 96, 97, 98, 99, 100, 128]))
        {
            AssertSameAsInterpreter(engine, code, context, budget);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Engines))]
    public void ALoopWithALocalCallIsNotStripedAndStillFaultsRight(string engine)
    {
        LlvmRequirement.SkipIfMissing();
        var code = new Program()
            .Mov(0, 0).Mov(6, 0).MovReg(7, 2).Add(7, 2).MovReg(8, 1)
            .Label("loop")
            .MovReg(4, 8).AddReg(4, 6).Load(1, 5, 4, 0).Store(1, 4, 6, 0)
            .MovReg(1, 5).Call("twice").AddReg(9, 0)
            .Add(6, 1).Add(7, -1)
            .JumpImm(0x55, 7, 0, "loop")
            .MovReg(0, 9).Exit()
            .Label("twice").MovReg(0, 1).AddReg(0, 1).Exit().Build();
        AssertStrips(code, false);
        AssertSameAsInterpreter(engine, code, Contexts(40));
    }

    [SkippableTheory]
    [MemberData(nameof(Engines))]
    public void AnIndexWrittenOnlyOnSomeIterationsIsNoInductionRegister(string engine)
    {
        LlvmRequirement.SkipIfMissing();
        // r6 += 1 every iteration and r6 += 7 when the byte read is odd: the stride is not fixed.
        var code = new Program()
            .Mov(0, 0).Mov(6, 0).MovReg(3, 2)
            .Label("loop")
            .MovReg(4, 1).AddReg(4, 6).Load(1, 5, 4, 0).AddReg(0, 5).Store(1, 4, 0, 0)
            .MovReg(8, 5).AluImm(AluOperation.And, 8, 1).JumpImm(0x15, 8, 0, "even")
            .Add(6, 7)
            .Label("even")
            .Add(6, 1).Add(3, -1)
            .JumpImm(0x55, 3, 0, "loop")
            .Exit().Build();
        AssertStrips(code, false);
        AssertSameAsInterpreter(engine, code, Contexts(60));
    }

    [SkippableTheory]
    [MemberData(nameof(Engines))]
    public void AThirtyTwoBitStepIsNoInductionRegister(string engine)
    {
        LlvmRequirement.SkipIfMissing();
        // w6 += 1 wraps at 2^32 and zero-extends: index from 2^32 - 3, so the fourth access is at r1 + 0.
        var code = new Program()
            .Mov(0, 0).LoadImm64(6, 0xffff_fffd).Mov(3, 10)
            .Label("loop")
            .MovReg(4, 1).AddReg(4, 6).Load(1, 5, 4, 0).AddReg(0, 5)
            .Alu32Imm(AluOperation.Add, 6, 1).Add(3, -1)
            .JumpImm(0x55, 3, 0, "loop")
            .Exit().Build();
        AssertStrips(code, false);
        AssertSameAsInterpreter(engine, code, Contexts(12));
        // The same walk from 0 stays inside for long contexts and walks off for short ones.
        var fromZero = new Program()
            .Mov(0, 0).Mov(6, 0).Mov(3, 40)
            .Label("loop")
            .MovReg(4, 1).AddReg(4, 6).Load(1, 5, 4, 0).AddReg(0, 5).Store(1, 4, 0, 0)
            .Alu32Imm(AluOperation.Add, 6, 1).Add(3, -1)
            .JumpImm(0x55, 3, 0, "loop")
            .Exit().Build();
        AssertSameAsInterpreter(engine, fromZero, Contexts(45));
    }

    [SkippableTheory]
    [MemberData(nameof(Engines))]
    public void NestedLoopsStripTheInnerOneAndFaultWhereTheInterpreterDoes(string engine)
    {
        LlvmRequirement.SkipIfMissing();
        // Rows of 20 bytes; the inner loop sums a row and writes the sum at the row's start; the outer
        // loop goes on past the context's end.
        var code = new Program()
            .Mov(0, 0).Mov(7, 0).Mov(9, 6)
            .Label("outer")
            .Mov(6, 0).Mov(3, 20)
            .Label("inner")
            .MovReg(4, 1).AddReg(4, 7).AddReg(4, 6).Load(1, 5, 4, 0).AddReg(0, 5)
            .Add(6, 1).Add(3, -1)
            .JumpImm(0x55, 3, 0, "inner")
            .MovReg(4, 1).AddReg(4, 7).Store(1, 4, 0, 0)
            .Add(7, 20).Add(9, -1)
            .JumpImm(0x55, 9, 0, "outer")
            .Exit().Build();
        AssertStrips(code, true);
        AssertSameAsInterpreter(engine, code, Contexts(130));
    }

    [SkippableTheory]
    [MemberData(nameof(Engines))]
    public void ContextsShorterThanOneAccessFaultAtTheFirstIteration(string engine)
    {
        LlvmRequirement.SkipIfMissing();
        AssertSameAsInterpreter(engine, Walk(8, 8, 0, extra: 0), Contexts(9));
        AssertSameAsInterpreter(engine, Walk(-8, 8, -8, extra: 0), Contexts(9));
        AssertSameAsInterpreter(engine, Walk(0, 8, 0, extra: 3), Contexts(9));
    }

    [SkippableTheory]
    [MemberData(nameof(Engines))]
    public void AWalkUpTheStackFaultsAtTheFramesEnd(string engine)
    {
        LlvmRequirement.SkipIfMissing();
        // r6 starts 200 bytes below r10 and walks up by 8 for len iterations, storing and reading
        // back: contexts of more than 25 bytes walk off the frames' end, inside the first strip.
        var code = new Program()
            .Mov(0, 0).MovReg(3, 2).MovReg(6, 10).Add(6, -200)
            .Label("loop")
            .StoreReg(8, 6, 3, 0).Load(8, 5, 6, 0).AddReg(0, 5)
            .Add(6, 8).Add(3, -1)
            .JumpImm(0x55, 3, 0, "loop")
            .Exit().Build();
        AssertStrips(code, true);
        AssertSameAsInterpreter(engine, code, new[] { 1, 2, 24, 25, 26, 27, 31, 32, 33, 40, 60 }.Select(n => new byte[n]));
    }

    [SkippableTheory]
    [MemberData(nameof(Engines))]
    public void ALoopEnteredInItsMiddleWithItsStepBeforeTheHeaderStripsAndFaultsRight(string engine)
    {
        LlvmRequirement.SkipIfMissing();
        // Rotated: the step and exit test sit before the header in the code, the header is entered by
        // a jump and reached again by a fall-through, and the backward jump goes to the step.
        var code = new Program()
            .Mov(0, 0).Mov(6, 0).MovReg(3, 2).Add(3, 3).Jump("head")
            .Label("step")
            .Add(6, 2).Add(3, -1).JumpImm(0x15, 3, 0, "out")
            .Label("head")
            .MovReg(4, 1).AddReg(4, 6).Load(2, 5, 4, 0).AddReg(0, 5).Store(1, 4, 0, 1)
            .Jump("step")
            .Label("out")
            .Exit().Build();
        AssertStrips(code, true);
        AssertSameAsInterpreter(engine, code, Contexts(100));
        AssertSameAsInterpreter(engine, code, [new byte[200]], budget: 45);
    }

    [SkippableTheory]
    [MemberData(nameof(Engines))]
    public void ALoopOverAMapValueTheGuardRefusesRunsCheckedAndFaultsAtItsEnd(string engine)
    {
        LlvmRequirement.SkipIfMissing();
        // Stores len + 1 bytes into a 48-byte array value: the guard (context and frames only) never
        // admits a strip, so every iteration is checked, through the latch that skips the guard.
        var code = new Program()
            .LoadMapValue(7, 0).Mov(6, 0).MovReg(3, 2).Add(3, 1)
            .Label("loop")
            .MovReg(4, 7).AddReg(4, 6).Store(1, 4, 3, 0)
            .Add(6, 1).Add(3, -1)
            .JumpImm(0x55, 3, 0, "loop")
            .MovReg(0, 6).Exit().Build();
        AssertStrips(code, true);
        foreach (var length in new[] { 0, 1, 31, 32, 33, 46, 47, 48, 60 })
        {
            using var expectedMap = ArrayMap.Create(".data", 48, 1);
            using var actualMap = ArrayMap.Create(".data", 48, 1);
            var expected = RunWithMap(InterpreterEngine.Instance, code, expectedMap, length);
            var actual = RunWithMap(Engine(engine), code, actualMap, length);
            Assert.True(expected == actual, $"{length} iterations: interpreter {expected}, {engine} {actual}");
            Assert.Equal(Convert.ToHexString(expectedMap.GetValue(0)), Convert.ToHexString(actualMap.GetValue(0)));
        }
    }

    private static Outcome RunWithMap(IBpfEngine engine, Instruction[] code, ArrayMap map, int length)
    {
        var image = new ProgramImage("strip", code, NoHelpers) { Maps = [map], Verified = false };
        using var executable = engine.Load(image, new EngineOptions { ExecutionBudget = Budget });
        return Run(executable, new byte[length]);
    }

    [SkippableTheory]
    [MemberData(nameof(Engines))]
    public void OptimisationLevelZeroAgreesToo(string engine)
    {
        LlvmRequirement.SkipIfMissing();
        AssertSameAsInterpreter(engine, Walk(1, 1, 0, extra: 1), Contexts(70), level: 0);
        AssertSameAsInterpreter(engine, Walk(1, 1, 0, extra: 0), [new byte[100]], budget: 40, level: 0);
    }

    /// <summary>A few instructions with labels for jump targets.</summary>
    private sealed class Program
    {
        private readonly List<(Instruction Insn, string? Target)> _code = [];
        private readonly Dictionary<string, int> _labels = [];

        public Program Label(string name)
        {
            _labels[name] = _code.Count;
            return this;
        }

        private Program Add(Instruction insn, string? target = null)
        {
            _code.Add((insn, target));
            return this;
        }

        public Program Mov(int dst, int imm) => Add(new Instruction(0xb7, (byte)dst, 0, 0, imm));

        public Program MovReg(int dst, int src) => Add(new Instruction(0xbf, (byte)dst, (byte)src, 0, 0));

        public Program Add(int dst, int imm) => Add(new Instruction(0x07, (byte)dst, 0, 0, imm));

        public Program AddReg(int dst, int src) => Alu64Reg(AluOperation.Add, dst, src);

        public Program Alu64Reg(AluOperation op, int dst, int src) => Add(new Instruction((byte)(0x0f | (byte)op), (byte)dst, (byte)src, 0, 0));

        public Program AluImm(AluOperation op, int dst, int imm) => Add(new Instruction((byte)(0x07 | (byte)op), (byte)dst, 0, 0, imm));

        public Program Alu32Imm(AluOperation op, int dst, int imm) => Add(new Instruction((byte)(0x04 | (byte)op), (byte)dst, 0, 0, imm));

        public Program LoadImm64(int dst, long value)
        {
            Add(new Instruction(Opcodes.LoadImm64, (byte)dst, 0, 0, (int)value));
            return Add(new Instruction(0, 0, 0, 0, (int)(value >> 32)));
        }

        private static byte SizeBits(int size) => size switch
        {
            1 => 0x10,
            2 => 0x08,
            4 => 0x00,
            _ => 0x18,
        };

        public Program Load(int size, int dst, int src, short offset) => Add(new Instruction((byte)(0x61 | SizeBits(size)), (byte)dst, (byte)src, offset, 0));

        public Program Store(int size, int dst, int src, short offset) => StoreReg(size, dst, src, offset);

        public Program StoreReg(int size, int dst, int src, short offset) => Add(new Instruction((byte)(0x63 | SizeBits(size)), (byte)dst, (byte)src, offset, 0));

        public Program JumpImm(byte opcode, int dst, int imm, string target) => Add(new Instruction(opcode, (byte)dst, 0, 0, imm), target);

        public Program JumpReg(byte opcode, int dst, int src, string target) => Add(new Instruction(opcode, (byte)dst, (byte)src, 0, 0), target);

        public Program Jump(string target) => Add(new Instruction(0x05, 0, 0, 0, 0), target);

        public Program LoadMapValue(int dst, int map)
        {
            Add(new Instruction(Opcodes.LoadImm64, (byte)dst, (byte)LoadImm64Source.MapValueByIndex, 0, map));
            return Add(new Instruction(0, 0, 0, 0, 0));
        }

        public Program Call(string target) => Add(new Instruction(Opcodes.Call, 0, 1, 0, 0), target);

        public Program Exit() => Add(new Instruction(Opcodes.Exit, 0, 0, 0, 0));

        public Instruction[] Build() =>
            _code.Select((entry, pc) => entry.Target is not { } label
                ? entry.Insn
                : entry.Insn.Opcode == Opcodes.Call
                    ? entry.Insn.WithImm(_labels[label] - pc - 1)
                    : entry.Insn.WithOffset((short)(_labels[label] - pc - 1))).ToArray();
    }
}
