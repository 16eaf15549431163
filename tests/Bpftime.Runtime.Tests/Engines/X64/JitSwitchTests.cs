using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.Interpreter;
using Bpftime.Engines.X64;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using Iced.Intel;
using static Bpftime.Tests.SwitchPrograms;
using Instruction = Bpftime.Isa.Instruction;

namespace Bpftime.Tests.Engines.X64;

/// <summary>
/// Compare trees that the jit turns into a jump through a table: the table is used where it should
/// be, and r0 or the fault (code and slot) is what the interpreter gives for values the attacker
/// picks: just outside the cases, upper bits set under 32-bit compares, negative, and loops through
/// the tree under budgets that run out, checked, verified but unproven, and trusted.
/// </summary>
public sealed class JitSwitchTests
{
    private static readonly HelperTable NoHelpers = new("none");

    public enum Mode
    {
        Checked,
        Unproven,
        Trusted,
    }

    private static ProgramImage Image(Instruction[] code, Mode mode) =>
        new("switch", code, NoHelpers) { Verified = mode != Mode.Checked, TerminationProven = mode == Mode.Trusted };

    /// <summary>Whether the body has a jump through a table (the dispatch ends with jmp r11).</summary>
    private static bool JumpsThroughATable(Instruction[] code, Mode mode)
    {
        var compiled = X64Compiler.Compile(Image(code, mode), new JitBindings(0x1234_5678, h => h.NativeEntry, _ => 0x5678));
        var bodyEnd = (ulong)compiled.InstructionOffsets[^1];
        var decoder = Iced.Intel.Decoder.Create(64, new ByteArrayCodeReader(compiled.Code));
        while (decoder.IP < bodyEnd)
        {
            var insn = decoder.Decode();
            if (insn.Mnemonic == Mnemonic.Jmp && insn.Op0Kind == OpKind.Register && insn.Op0Register == Register.R11)
            {
                return true;
            }
        }
        return false;
    }

    private static string Run(IBpfExecutable executable, ulong value)
    {
        try
        {
            return executable.Execute(0, value).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (BpfException e)
        {
            return $"{e.Code} at {e.Diagnostic.InstructionIndex}";
        }
    }

    /// <summary>Interpreter against the jit in <paramref name="mode"/>, r2 = each value, r0 or the fault.</summary>
    private static void AssertSameResults(Instruction[] code, Mode mode, IEnumerable<ulong> values, long budget = EngineOptions.DefaultExecutionBudget)
    {
        var image = Image(code, mode);
        var options = new EngineOptions { ExecutionBudget = budget };
        using var reference = InterpreterEngine.Instance.Load(image, options);
        using var jit = X64JitEngine.Instance.Load(image, options);
        foreach (var value in values)
        {
            var expected = Run(reference, value);
            var actual = Run(jit, value);
            Assert.True(expected == actual, $"{mode}, budget {budget}, r2 = 0x{value:x}: the jit gives {actual}, the interpreter {expected}\n{string.Join("\n", code)}");
        }
    }

    /// <summary>Values around every case and the table's ends, at both widths and signs.</summary>
    private static IEnumerable<ulong> Around(IEnumerable<ulong> constants) =>
        constants.SelectMany(c => new[]
        {
            c - 2, c - 1, c, c + 1, c + 2, c & 0xffff_ffff, (c + 1) & 0xffff_ffff, (c - 1) & 0xffff_ffff,
            c | 0x1_0000_0000, c | 0x8000_0000_0000_0000, c ^ 0xffff_ffff_0000_0000, (ulong)-(long)c,
        }).Concat(Probes).Distinct();

    /// <summary>
    /// <see cref="Balanced"/> with every constant moved by <paramref name="bias"/>: cases bias..bias+7,
    /// so the table starts at bias (or wraps past the top of the compared width). With
    /// <paramref name="floor"/> a first compare sends the values below bias to the default as well.
    /// </summary>
    private static Instruction[] Biased(int bias, bool floor, bool narrow)
    {
        Instruction[] tree = [.. Balanced(JumpOperation.Jgt, narrow).Select(i => i.IsJump && !i.IsExit ? i.WithImm(i.Imm + bias) : i)];
        return floor ? [Jump(JumpOperation.Jlt, 2, bias, 24, narrow), .. tree] : tree;
    }

    /// <summary>
    /// Biases with their table. With a floor every bias has 8 cases and a table, but -4: its cases
    /// wrap past the top of the width, so the floor sends every value to the default. Without, the values
    /// below the cases are cases too: up to 100 (108 entries for 8 compares) the table is small enough;
    /// at 1000 it would have far more entries than the compares take code (they stay, cheaper); at
    /// int.MinValue about 2^31 values lie on each side, too many for a switch.
    /// </summary>
    public static TheoryData<int, bool, bool, Mode, bool> Biases()
    {
        var data = new TheoryData<int, bool, bool, Mode, bool>();
        foreach (var (bias, floor, table) in new[]
        {
            (0, true, true), (100, true, true), (-8, true, true), (-4, true, false), (int.MinValue, true, true), (int.MaxValue - 7, true, true),
            (0, false, true), (-8, false, true), (100, false, true), (1000, false, false), (int.MinValue, false, false),
        })
        {
            foreach (var narrow in new[] { false, true })
            {
                foreach (var mode in Enum.GetValues<Mode>())
                {
                    data.Add(bias, floor, narrow, mode, table);
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Biases))]
    public void ValuesOutsideTheCasesGoWhereTheComparesSendThem(int bias, bool floor, bool narrow, Mode mode, bool table)
    {
        var code = Biased(bias, floor, narrow);
        Assert.Equal(table, JumpsThroughATable(code, mode));
        var constants = Enumerable.Range(-1, 10).Select(k => narrow ? (ulong)(uint)(bias + k) : (ulong)(long)(bias + k));
        AssertSameResults(code, mode, Around(constants));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SignedTreesOnAMaskedValueTakeTheTableAndEveryOtherValueStaysExact(bool narrow)
    {
        // The root compares signed; r2 &= 15 bounds the value, so a table covers 0..7 and 8..15 goes to 24.
        var tree = Balanced(JumpOperation.Jsgt, narrow);
        tree[0] = Jump(JumpOperation.Jsgt, 2, 7, 23, narrow);
        Instruction[] code = [new(0x57, 2, 0, 0, 15), .. tree];
        foreach (var mode in Enum.GetValues<Mode>())
        {
            Assert.True(JumpsThroughATable(code, mode));
            AssertSameResults(code, mode, Around(Enumerable.Range(0, 17).Select(v => (ulong)v)));
        }
    }

    [Fact]
    public void UpperBitsDoNotReachTheTableOfA32BitTree()
    {
        // jmp32 looks only at the low half: 0xffff_ffff_0000_0003 is case 3, 0x1_0000_0008 the default.
        var code = Balanced(narrow: true);
        using var jit = X64JitEngine.Instance.Load(Image(code, Mode.Checked), EngineOptions.Default);
        Assert.Equal(13UL, jit.Execute(0, 0xffff_ffff_0000_0003));
        Assert.Equal(99UL, jit.Execute(0, 0x1_0000_0008));
        Assert.Equal(99UL, jit.Execute(0, 0xffff_ffff_ffff_ffff));
        // The 64-bit tree sends both to the default.
        using var wide = X64JitEngine.Instance.Load(Image(Balanced(), Mode.Checked), EngineOptions.Default);
        Assert.Equal(99UL, wide.Execute(0, 0xffff_ffff_0000_0003));
        Assert.Equal(13UL, wide.Execute(0, 3));
    }

    [Fact]
    public void BackwardLeavesSpendTheBudgetAsTheJumpsDidAndFaultAtTheirSlot()
    {
        var code = LoopTree();
        foreach (var mode in new[] { Mode.Checked, Mode.Unproven })
        {
            Assert.True(JumpsThroughATable(code, mode));
            var values = Around([3 << 1, 30 << 1, 61, 100, 150, 1000, 1UL << 40, 1UL << 63]);
            foreach (var budget in new long[] { 1, 2, 3, 4, 5, 8, 64 })
            {
                AssertSameResults(code, mode, values, budget);
            }
        }
        AssertSameResults(code, Mode.Trusted, Around([6, 60, 61, 150, 1UL << 40]));
    }

    [Fact]
    public void AnEndlessLoopThroughTheTableIsStoppedExactlyWhereTheInterpreterStopsIt()
    {
        // r0 += 1 at slot 0, then the tree, whose own jumps go back to slot 0 for ever: the root's for
        // values above 7 (the default) and the one at slot 20 for 6.
        var tree = Balanced();
        tree[0] = Jump(JumpOperation.Jgt, 2, 7, -2);
        tree[19] = Jump(JumpOperation.Jeq, 2, 6, -21);
        Instruction[] code = [new(0x07, 0, 0, 0, 1), .. tree];
        var arms = SwitchRecognizer.Find(code, 0, code.Length, countsBudget: true)[1].Arms;
        Assert.Contains(arms, a => a.Target == 0 && a.BackEdgeAt == 1);
        Assert.Contains(arms, a => a.Target == 0 && a.BackEdgeAt == 20);
        foreach (var mode in new[] { Mode.Checked, Mode.Unproven })
        {
            Assert.True(JumpsThroughATable(code, mode));
            foreach (var budget in new long[] { 1, 2, 7, 1000 })
            {
                AssertSameResults(code, mode, Around([0, 5, 6, 7, 8, 0xffff_ffff]), budget);
            }
        }
    }

    [Fact]
    public void ACallIntoTheRootForgetsTheMaskBeforeIt()
    {
        // Slot 3 is the root and a local call's target: r2 &= 7 at slot 2 bounds only the values that
        // fall through to it, not those the call brings, which must still reach the default (99).
        Instruction[] code =
        [
            new(Opcodes.Call, 0, (byte)CallSource.Local, 0, 2), // 0: call 3
            new(Opcodes.Exit, 0, 0, 0, 0),                     // 1
            new(0x57, 2, 0, 0, 7),                             // 2: r2 &= 7
            .. Balanced(),                                     // 3..
        ];
        Assert.Equal((0UL, ulong.MaxValue), SwitchRecognizer.Find(code, 0, code.Length, countsBudget: true)[3].Known);
        foreach (var mode in Enum.GetValues<Mode>())
        {
            Assert.True(JumpsThroughATable(code, mode));
            AssertSameResults(code, mode, Around([0, 7, 8, 100]));
        }
        using var jit = X64JitEngine.Instance.Load(Image(code, Mode.Checked), EngineOptions.Default);
        Assert.Equal(99UL, jit.Execute(0, 100));
        // A callback address is a way in too.
        Instruction[] callback = [new(Opcodes.LoadImm64, 3, (byte)LoadImm64Source.CodeAddress, 0, 3), new(0, 0, 0, 0, 0), .. code[1..]];
        Assert.Equal((0UL, ulong.MaxValue), SwitchRecognizer.Find(callback, 0, callback.Length, countsBudget: true)[4].Known);
    }

    [Fact]
    public void SparseOrFewCasesStayCompares()
    {
        // Five cases over 0..400 as a chain of equalities: less than 10% of a table would be cases.
        var sparse = new List<Instruction>();
        for (var k = 0; k < 5; k++)
        {
            sparse.Add(Jump(JumpOperation.Jeq, 2, 100 * k, 6 + k)); // -> slot 7 + 2k, the k-th leaf
        }
        sparse.AddRange([new(0xb7, 0, 0, 0, 99), new(Opcodes.Exit, 0, 0, 0, 0)]);
        for (var k = 0; k < 5; k++)
        {
            sparse.AddRange([new(0xb7, 0, 0, 0, k), new(Opcodes.Exit, 0, 0, 0, 0)]);
        }
        Instruction[] chain = [.. sparse];
        Assert.Equal(5, SwitchRecognizer.Find(chain, 0, chain.Length, countsBudget: false)[0].Cases().Count());
        Assert.False(JumpsThroughATable(chain, Mode.Checked));
        AssertSameResults(chain, Mode.Checked, Around([0, 100, 200, 300, 400]));
        // Three compares, three cases: not worth a table.
        Instruction[] few =
        [
            Jump(JumpOperation.Jgt, 2, 2, 7),  // 0: > 2 -> 8
            Jump(JumpOperation.Jeq, 2, 0, 3),  // 1: == 0 -> 5
            Jump(JumpOperation.Jeq, 2, 1, 4),  // 2: == 1 -> 7
            new(0xb7, 0, 0, 0, 2), new(Opcodes.Exit, 0, 0, 0, 0), // 3, 4
            new(0xb7, 0, 0, 0, 0), new(Opcodes.Exit, 0, 0, 0, 0), // 5, 6
            new(0xb7, 0, 0, 0, 1),                                // 7 (falls through)
            new(Opcodes.Exit, 0, 0, 0, 0),                        // 8
        ];
        Assert.Equal(3, SwitchRecognizer.Find(few, 0, few.Length, countsBudget: false)[0].Cases().Count());
        Assert.False(JumpsThroughATable(few, Mode.Trusted));
        AssertSameResults(few, Mode.Trusted, Around([0, 1, 2, 3]));
    }

    [Fact]
    public void AChainOfEqualitiesTooLongToSplitStaysCompares()
    {
        // r2 == 0, == 2, == 4, ... one after the other, each to its own exit: the values that fall
        // through split into one more range per compare. Past 32 ranges the tree is given up (the
        // search would cost the square of the chain's length), and the compares run as they stand.
        var chain = new List<Instruction>();
        const int Length = 40;
        for (var k = 0; k < Length; k++)
        {
            chain.Add(Jump(JumpOperation.Jeq, 2, 2 * k, Length + k + 1)); // -> slot Length + 2 + 2k
        }
        chain.AddRange([new(0xb7, 0, 0, 0, 99), new(Opcodes.Exit, 0, 0, 0, 0)]);
        for (var k = 0; k < Length; k++)
        {
            chain.AddRange([new(0xb7, 0, 0, 0, k), new(Opcodes.Exit, 0, 0, 0, 0)]);
        }
        Instruction[] code = [.. chain];
        Assert.Empty(SwitchRecognizer.Find(code, 0, code.Length, countsBudget: false));
        Assert.False(JumpsThroughATable(code, Mode.Trusted));
        AssertSameResults(code, Mode.Trusted, Around([0, 2, 40, 78, 79, 80]));
        // The first 30 compares alone make a switch (the cases are half the table).
        Instruction[] shorter = [.. code[..30].Select((insn, k) => insn.WithOffset((short)(30 + k + 1))), .. code[Length..]];
        Assert.Equal(30, SwitchRecognizer.Find(shorter, 0, shorter.Length, countsBudget: false)[0].Cases().Count());
        Assert.True(JumpsThroughATable(shorter, Mode.Trusted));
        AssertSameResults(shorter, Mode.Trusted, Around([0, 2, 40, 58, 59, 60]));
    }

    [Fact]
    public void ATreeAThousandComparesDeepIsOneTable()
    {
        // r2 > 1000 - k goes to the k-th leaf, one compare after another: the values stay one range
        // down the chain, so it is one tree of 1,000 compares and 1,001 cases (0..1000).
        const int Depth = 1000;
        var chain = new List<Instruction>();
        for (var k = 0; k < Depth; k++)
        {
            chain.Add(Jump(JumpOperation.Jgt, 2, Depth - k, Depth + 1 + k)); // -> slot Depth + 2 + 2k
        }
        chain.AddRange([new(0xb7, 0, 0, 0, 5000), new(Opcodes.Exit, 0, 0, 0, 0)]);
        for (var k = 0; k < Depth; k++)
        {
            chain.AddRange([new(0xb7, 0, 0, 0, k), new(Opcodes.Exit, 0, 0, 0, 0)]);
        }
        Instruction[] code = [.. chain];
        var tree = SwitchRecognizer.Find(code, 0, code.Length, countsBudget: true)[0];
        Assert.Equal(Depth - 1, tree.Interior.Count);
        Assert.Equal(Depth + 1, tree.Cases().Count());
        foreach (var mode in Enum.GetValues<Mode>())
        {
            Assert.True(JumpsThroughATable(code, mode));
            AssertSameResults(code, mode, Around([0, 1, 500, 999, 1000, 1001]));
        }
    }

    /// <summary>
    /// Leaves 4 and 8 are reached by falling through a compare, each with the shape of a branch-free
    /// select (<c>if c goto +1; add</c>): the table enters them directly, so the add must still run.
    /// </summary>
    [Theory]
    [InlineData(Mode.Checked)]
    [InlineData(Mode.Unproven)]
    [InlineData(Mode.Trusted)]
    public void ALeafReachedByFallingThroughACompareRunsWhenTheTableEntersIt(Mode mode)
    {
        Instruction[] code =
        [
            new(0xb7, 0, 0, 0, 0),                // 0: r0 = 0
            Jump(JumpOperation.Jgt, 2, 7, 9),     // 1: > 7 -> 11 (the default)
            Jump(JumpOperation.Jgt, 2, 3, 4),     // 2: > 3 -> 7
            Jump(JumpOperation.Jeq, 2, 1, 1),     // 3: == 1 -> 5, else 4
            new(0x07, 0, 0, 0, 10),               // 4: r0 += 10 (0, 2, 3)
            new(0x07, 0, 0, 0, 100),              // 5: r0 += 100 (1, and after 4)
            new(Opcodes.Exit, 0, 0, 0, 0),
            Jump(JumpOperation.Jeq, 2, 5, 1),     // 7: == 5 -> 9, else 8
            new(0x07, 0, 0, 0, 1000),             // 8: r0 += 1000 (4, 6, 7)
            new(0x07, 0, 0, 0, 10000),            // 9: r0 += 10000 (5, and after 8)
            new(Opcodes.Exit, 0, 0, 0, 0),
            new(0xb7, 0, 0, 0, 7),                // 11: r0 = 7
            new(Opcodes.Exit, 0, 0, 0, 0),
        ];
        Assert.True(JumpsThroughATable(code, mode));
        AssertSameResults(code, mode, [0, 1, 2, 3, 4, 5, 6, 7, 8, ulong.MaxValue]);
        using var jit = X64JitEngine.Instance.Load(Image(code, mode), EngineOptions.Default);
        Assert.Equal("6e", Run(jit, 0));
        Assert.Equal("2af8", Run(jit, 6));
    }

    [Fact]
    public void TheBenchSwitchKernelJumpsThroughATable()
    {
        var code = InstructionDecoder.Decode(File.ReadAllBytes(Path.Combine(TestPaths.DataDirectory, "bench", "switch.bin")), "switch");
        Assert.True(JumpsThroughATable(code, Mode.Trusted));
        Assert.True(JumpsThroughATable(code, Mode.Checked));
        // The log2 kernel, measured beside it, has no tree: its code is what it was.
        var log2 = InstructionDecoder.Decode(File.ReadAllBytes(Path.Combine(TestPaths.DataDirectory, "bench", "log2.bin")), "log2");
        Assert.Empty(SwitchRecognizer.Find(log2, 0, log2.Length, countsBudget: true));
        Assert.Empty(SwitchRecognizer.Find(log2, 0, log2.Length, countsBudget: false));
    }

    [Fact]
    public void GeneratedTreesComputeWhatTheInterpreterComputes()
    {
        var random = new Random(4195);
        var tables = 0;
        for (var round = 0; round < 60; round++)
        {
            var (code, constants) = RandomTree(random);
            var values = Around(constants).Concat(Enumerable.Range(0, 8).Select(_ => (ulong)random.NextInt64() * 3)).ToList();
            foreach (var mode in Enum.GetValues<Mode>())
            {
                tables += JumpsThroughATable(code, mode) ? 1 : 0;
                AssertSameResults(code, mode, values);
            }
        }
        Assert.True(tables >= 20, $"only {tables} of the generated programs jumped through a table");
    }

    [Fact]
    public void TheTableLoadEncodesEveryBaseAndIndex()
    {
        foreach (var dst in Enum.GetValues<X64Register>())
        {
            foreach (var @base in Enum.GetValues<X64Register>())
            {
                foreach (var index in Enum.GetValues<X64Register>().Where(r => r != X64Register.Rsp))
                {
                    var asm = new X64Assembler();
                    asm.LoadSignExtendedScaled4(dst, @base, index);
                    var code = asm.Code.ToArray();
                    var decoded = Iced.Intel.Decoder.Create(64, new ByteArrayCodeReader(code)).Decode();
                    Assert.Equal(code.Length, decoded.Length);
                    Assert.Equal(Code.Movsxd_r64_rm32, decoded.Code);
                    Assert.Equal(Register.RAX + (int)dst, decoded.Op0Register);
                    Assert.Equal(Register.RAX + (int)@base, decoded.MemoryBase);
                    Assert.Equal(Register.RAX + (int)index, decoded.MemoryIndex);
                    Assert.Equal(4, decoded.MemoryIndexScale);
                    Assert.Equal(0UL, decoded.MemoryDisplacement64);
                }
            }
        }
        Assert.Throws<ArgumentException>(() => new X64Assembler().LoadSignExtendedScaled4(X64Register.Rax, X64Register.Rbx, X64Register.Rsp));
    }
}
