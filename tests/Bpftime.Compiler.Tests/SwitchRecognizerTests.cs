using Bpftime.Compiler.Aot;
using Bpftime.Compiler.LlvmJit;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.Interpreter;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Tests;
using static Bpftime.Tests.SwitchPrograms;

namespace Bpftime.Compiler.Tests;

/// <summary>
/// Compare trees that become one LLVM switch: which trees are recognised (and which must not be), that
/// the ranges agree with walking the jumps one by one, and that compiled code computes what the
/// interpreter computes, trusted and checked, on generated and irregular trees.
/// </summary>
public sealed class SwitchRecognizerTests
{
    /// <summary>
    /// What every recognised tree must be: compares on the root's register and width, interior ones with
    /// one way in (counted here from the code), ranges that agree with walking the jumps.
    /// </summary>
    private static Dictionary<int, SwitchTree> FindSound(Instruction[] code, bool countsBudget = false)
    {
        var trees = SwitchRecognizer.Find(code, 0, code.Length, countsBudget);
        var ways = new int[code.Length + 1];
        for (var pc = 0; pc < code.Length; pc++)
        {
            var insn = code[pc];
            if (insn.IsJump && !insn.IsCall && !insn.IsExit)
            {
                ways[pc + insn.Offset + 1]++;
            }
            if (!insn.IsExit && insn.Opcode != Opcodes.Jump(InstructionClass.Jmp, JumpOperation.Ja, OperandSource.Immediate))
            {
                ways[pc + 1]++;
            }
        }
        foreach (var tree in trees.Values)
        {
            foreach (var node in tree.Interior)
            {
                Assert.Equal(code[tree.Root].Dst, code[node].Dst);
                Assert.Equal(code[tree.Root].Class, code[node].Class);
                Assert.Equal(OperandSource.Immediate, code[node].Source);
                Assert.True(ways[node] == 1, $"slot {node} has {ways[node]} ways in");
            }
            AssertArmsMatchTheJumps(code, tree, Probes);
        }
        return trees;
    }

    private static bool InAnyTree(Dictionary<int, SwitchTree> trees, int pc) => trees.Values.Any(t => t.Interior.Contains(pc));

    /// <summary>Walks the jumps as the interpreter would, from <paramref name="pc"/> until a slot that is not a compare on <paramref name="register"/>.</summary>
    private static int Leaf(Instruction[] code, int pc, ulong value, IReadOnlyCollection<int> nodes)
    {
        while (nodes.Contains(pc))
        {
            var insn = code[pc];
            // Signed order is unsigned order with the sign bit flipped.
            var narrow = insn.Class == InstructionClass.Jmp32;
            var (a, c) = narrow ? ((uint)value, (ulong)(uint)insn.Imm) : (value, (ulong)(long)insn.Imm);
            var signed = insn.JumpOperation is JumpOperation.Jsgt or JumpOperation.Jsge or JumpOperation.Jslt or JumpOperation.Jsle;
            var bias = signed ? (narrow ? 1UL << 31 : 1UL << 63) : 0;
            var order = (a ^ bias).CompareTo(c ^ bias);
            var taken = insn.JumpOperation switch
            {
                JumpOperation.Jeq => order == 0,
                JumpOperation.Jne => order != 0,
                JumpOperation.Jgt or JumpOperation.Jsgt => order > 0,
                JumpOperation.Jge or JumpOperation.Jsge => order >= 0,
                JumpOperation.Jlt or JumpOperation.Jslt => order < 0,
                _ => order <= 0,
            };
            pc = taken ? pc + insn.Offset + 1 : pc + 1;
            if (pc == nodes.First())
            {
                break;
            }
        }
        return pc;
    }

    private static void AssertArmsMatchTheJumps(Instruction[] code, SwitchTree tree, IEnumerable<ulong> values)
    {
        var nodes = new List<int> { tree.Root };
        nodes.AddRange(tree.Interior);
        ulong previousHigh = 0;
        for (var i = 0; i < tree.Arms.Count; i++)
        {
            // The arms are ascending and cover every value the register can hold exactly once.
            Assert.Equal(i == 0 ? tree.Known.Low : previousHigh + 1, tree.Arms[i].Low);
            previousHigh = tree.Arms[i].High;
        }
        Assert.Equal(tree.Known.High, previousHigh);
        foreach (var value in values)
        {
            var compared = tree.Narrow ? (uint)value : value;
            if (compared < tree.Known.Low || compared > tree.Known.High)
            {
                continue;
            }
            var arm = tree.Arms.Single(a => a.Low <= compared && compared <= a.High);
            Assert.True(Leaf(code, tree.Root, value, nodes) == arm.Target, $"value 0x{value:x}: the jumps reach {Leaf(code, tree.Root, value, nodes)}, the arm says {arm.Target}");
        }
    }

    [Fact]
    public void ABalancedTreeIsOneSwitchWhoseRangesAgreeWithTheJumps()
    {
        var code = Balanced();
        var tree = Assert.Single(FindSound(code).Values);
        Assert.Equal(0, tree.Root);
        Assert.Equal([1, 2, 3, 8, 13, 14, 19], tree.Interior.Order());
        Assert.Equal((24, (int?)null), tree.Default);
        Assert.Equal([(0UL, 6), (1UL, 4), (2UL, 11), (3UL, 9), (4UL, 17), (5UL, 15), (6UL, 22), (7UL, 20)],
            tree.Cases().Select(c => (c.Value, c.Target)));
    }

    [Theory]
    [InlineData(JumpOperation.Jsgt, false)]
    [InlineData(JumpOperation.Jgt, true)]
    [InlineData(JumpOperation.Jsgt, true)]
    public void SignedAnd32BitTreesKeepTheirOwnOrder(JumpOperation greater, bool narrow)
    {
        var code = Balanced(greater, narrow);
        var tree = Assert.Single(FindSound(code).Values);
        Assert.Equal(narrow, tree.Narrow);
        Assert.Equal(8, tree.Cases().Count());
        // A signed root sends the negative values down to the leaves of 0..7: no leaf takes all but a
        // few values, so the compares stay, unless the register is known to be small (r2 &= 15).
        var signedRoot = code.ToArray();
        signedRoot[0] = Jump(JumpOperation.Jsgt, 2, 7, 23, narrow);
        Assert.Empty(FindSound(signedRoot));
        Instruction[] masked = [Code.Mov64(0, 0), new(0x57, 2, 0, 0, 15), .. signedRoot];
        var tree15 = Assert.Single(FindSound(masked).Values);
        Assert.Equal((0UL, 15UL), tree15.Known);
        Assert.Equal(8, tree15.Cases().Count());
        // Anything between the mask and the root that writes r2, or another way in, forgets the mask.
        Instruction[] changed = [new(0x57, 2, 0, 0, 15), Code.Add64(2, -1), .. signedRoot];
        Assert.Empty(FindSound(changed));
        Instruction[] joined = [new(0x57, 2, 0, 0, 15), Jump(JumpOperation.Jeq, 3, 1, 0), .. signedRoot];
        Assert.Empty(FindSound(joined));
        Instruction[] otherRegister = [new(0x57, 2, 0, 0, 15), new(0x57, 3, 0, 0, 7), Code.Mov64Reg(4, 2), .. signedRoot];
        Assert.Single(FindSound(otherRegister).Values);
    }

    [Fact]
    public void TheBenchSwitchKernelIsOne64WaySwitch()
    {
        var code = InstructionDecoder.Decode(File.ReadAllBytes(Path.Combine(TestPaths.DataDirectory, "bench", "switch.bin")), "switch");
        var tree = Assert.Single(FindSound(code).Values);
        Assert.Equal(5, tree.Register);
        Assert.Equal(63, tree.Cases().Count());
        AssertArmsMatchTheJumps(code, tree, Enumerable.Range(0, 70).Select(v => (ulong)v));
    }

    [Fact]
    public void ACompareWithAnotherWayInStaysOutOfTheTree()
    {
        // After r0 = 99, slot 25 jumps to the subtree at 13: it has two ways in, so it is a leaf.
        var code = Balanced();
        code[25] = Ja(13 - 25 - 1);
        var trees = FindSound(code);
        Assert.False(InAnyTree(trees, 13));
        Assert.Contains(trees[0].Arms, a => a.Target == 13);
        Assert.True(InAnyTree(trees, 8));
    }

    [Fact]
    public void OtherRegistersWidthsOperandsAndJsetEndTheTree()
    {
        var otherRegister = Balanced();
        otherRegister[1] = Jump(JumpOperation.Jgt, 3, 3, 11);
        Assert.False(InAnyTree(FindSound(otherRegister), 1));

        var mixedWidth = Balanced();
        mixedWidth[2] = Jump(JumpOperation.Jgt, 2, 1, 5, narrow: true);
        var mixed = FindSound(mixedWidth);
        Assert.False(InAnyTree(mixed, 2));
        Assert.False(mixed.TryGetValue(0, out var root) && root.Interior.Contains(3));

        var fromRegister = Balanced();
        fromRegister[13] = new Instruction(Opcodes.Jump(InstructionClass.Jmp, JumpOperation.Jgt, OperandSource.Register), 2, 3, 5, 0);
        Assert.False(InAnyTree(FindSound(fromRegister), 13));

        var jset = Balanced();
        jset[13] = Jump(JumpOperation.Jset, 2, 4, 5);
        Assert.False(InAnyTree(FindSound(jset), 13));
    }

    [Fact]
    public void ABlockThatChangesTheRegisterBeforeItsCompareIsALeaf()
    {
        Instruction[] code =
        [
            Jump(JumpOperation.Jgt, 2, 9, 6),          // 0: > 9 -> 7
            Jump(JumpOperation.Jgt, 2, 4, 3),          // 1: > 4 -> 5
            Jump(JumpOperation.Jeq, 2, 0, 10),         // 2: == 0 -> 13
            Code.Mov64(0, 1), Code.Exit(),             // 3, 4
            Code.Mov64(0, 5), Code.Exit(),             // 5, 6
            Code.Add64(2, 1),                          // 7: r2 changes
            Jump(JumpOperation.Jeq, 2, 11, 2),         // 8: == 11 -> 11
            Code.Mov64(0, 2), Code.Exit(),             // 9, 10
            Code.Mov64(0, 3), Code.Exit(),             // 11, 12
            Code.Mov64(0, 4), Code.Exit(),             // 13, 14
        ];
        var trees = FindSound(code);
        Assert.Equal([1, 2], trees[0].Interior.Order());
        Assert.False(InAnyTree(trees, 8));
        Assert.Contains(trees[0].Arms, a => a.Target == 7);
        AssertSameResults(code, "changes-register", Probes);
    }

    [Fact]
    public void TooManyValuesOffTheDefaultLeaveTheComparesAlone()
    {
        // Leaves of 101, about 2^30, 2^63 and 2^63 values: no default leaves only a few cases.
        Instruction[] code =
        [
            Jump(JumpOperation.Jgt, 2, 0x4000_0000, 3), // 0: -> 4
            Jump(JumpOperation.Jgt, 2, 100, 7),         // 1: -> 9
            Code.Mov64(0, 1), Code.Exit(),              // 2, 3
            Jump(JumpOperation.Jsgt, 2, -1, 2),         // 4: -> 7
            Code.Mov64(0, 2), Code.Exit(),              // 5, 6
            Code.Mov64(0, 3), Code.Exit(),              // 7, 8
            Code.Mov64(0, 4), Code.Exit(),              // 9, 10
        ];
        Assert.Empty(FindSound(code));
    }

    [Fact]
    public void CodeThatCountsKeepsBackwardJumpsInsideATreeAsComparesAndPaysForBackwardLeaves()
    {
        var code = LoopTree();
        var counting = FindSound(code, countsBudget: true)[3];
        Assert.DoesNotContain(9, counting.Interior);
        Assert.Contains(counting.Arms, a => a.Target == 1 && a.BackEdgeAt == 5);
        Assert.Contains(counting.Arms, a => a.Target == 1 && a.BackEdgeAt == 7);
        Assert.Contains(counting.Arms, a => a.Target == 9 && a.BackEdgeAt == 12);
        var trusted = FindSound(code)[3];
        Assert.Contains(9, trusted.Interior);
        Assert.All(trusted.Arms, a => Assert.Null(a.BackEdgeAt));
        AssertSameResults(code, "loop-tree", Probes.Concat(new ulong[] { 3 << 1, 30 << 1, 150, 1000, 1UL << 40 }));
    }

    [SkippableFact]
    public void TheIrOfTheBenchKernelSaysSwitch()
    {
        LlvmRequirement.SkipIfMissing();
        var code = InstructionDecoder.Decode(File.ReadAllBytes(Path.Combine(TestPaths.DataDirectory, "bench", "switch.bin")), "switch");
        var compilation = new AotCompilation
        {
            Programs = [new AotProgramSource("switch", code) { Verified = true, Proved = true, TerminationProven = true }],
            Helpers = new HelperTable("none"),
        };
        Assert.Contains("switch i64", AotCompiler.EmitIr(compilation, optimize: false));
    }

    [SkippableFact]
    public void TheBenchKernelsDispatchLoopStartsOnACacheLine()
    {
        // The loop head holds the whole dispatch (byte load to indirect jump); on a 16-byte boundary
        // it could straddle two 64-byte lines, which cost this kernel about 1.4x depending only on
        // where the function landed.
        LlvmRequirement.SkipIfMissing();
        var code = InstructionDecoder.Decode(File.ReadAllBytes(Path.Combine(TestPaths.DataDirectory, "bench", "switch.bin")), "switch");
        var assembly = AotCompiler.EmitText(new AotCompilation
        {
            Triple = "x86_64",
            Programs = [new AotProgramSource("switch", code) { Verified = true, Proved = true, TerminationProven = true }],
            Helpers = new HelperTable("none"),
            OptimizationLevel = 3,
        }, optimize: true, assembly: true).Split('\n');
        var jump = Array.FindIndex(assembly, line => line.TrimStart().StartsWith("jmpq\t*", StringComparison.Ordinal));
        Assert.True(jump > 0, "no indirect jump: the switch did not become a jump table");
        // The loop head is the last aligned label before the jump; the lines between run straight
        // through (the loop's latch, then the dispatch) without a jump away.
        var head = Array.FindLastIndex(assembly, jump, line => line.TrimStart().StartsWith(".p2align", StringComparison.Ordinal));
        Assert.True(head > 0);
        Assert.Equal(".p2align\t6, 0x90", assembly[head].Trim());
        Assert.True(jump - head < 16, $"the loop head is {jump - head} lines before the dispatch");
        Assert.DoesNotContain(assembly[head..jump], line => line.TrimStart().StartsWith("jmp", StringComparison.Ordinal));
    }

    [SkippableFact]
    public unsafe void AnAotJumpTableInRodataLinksAndRuns()
    {
        LlvmRequirement.SkipIfMissing();
        var code = InstructionDecoder.Decode(File.ReadAllBytes(Path.Combine(TestPaths.DataDirectory, "bench", "switch.bin")), "switch");
        var helpers = new HelperTable("none");
        var compiled = AotCompiler.Compile(new AotCompilation
        {
            Triple = "x86_64",
            Programs = [new AotProgramSource("switch", code) { Verified = true, Proved = true }],
            Helpers = helpers,
            OptimizationLevel = 3,
        });
        // The table's entries are PC-relative relocations against .text in .rodata.
        Assert.Contains(".rela.rodata", System.Text.Encoding.ASCII.GetString(compiled.Bytes));
        var memory = new byte[4096];
        new Random(3021).NextBytes(memory);
        using var module = Bpftime.Linking.Native.AotLinker.Link(compiled.Bytes, new Bpftime.Linking.Native.AotLinkOptions { Helpers = helpers, Origin = "switch" });
        using var reference = InterpreterEngine.Instance.Load(new ProgramImage("switch", code, helpers) { Verified = true }, EngineOptions.Default);
        fixed (byte* start = memory)
        {
            Assert.Equal(reference.Execute((nint)start, (ulong)memory.Length), module.GetProgram("switch").Execute((nint)start, (ulong)memory.Length));
        }
    }

    [SkippableFact]
    public void GeneratedTreesComputeWhatTheInterpreterComputes()
    {
        LlvmRequirement.SkipIfMissing();
        var random = new Random(3020);
        var recognised = 0;
        for (var round = 0; round < 40; round++)
        {
            var (code, constants) = RandomTree(random);
            recognised += FindSound(code).Count;
            FindSound(code, countsBudget: true);
            var values = constants.SelectMany(c => new[] { c - 1, c, c + 1, c & 0xffff_ffff, (c + 1) & 0xffff_ffff })
                .Concat(Probes).Concat(Enumerable.Range(0, 8).Select(_ => (ulong)random.NextInt64() * 3)).Distinct();
            AssertSameResults(code, $"tree{round}", values);
        }
        Assert.True(recognised >= 15, $"only {recognised} of the generated programs had a switch");
    }

    /// <summary>Interpreter against llvm-jit O0 and O3, trusted and checked, r0 for each value of r2.</summary>
    private static void AssertSameResults(Instruction[] code, string name, IEnumerable<ulong> values)
    {
        var engine = new LlvmJitEngine();
        foreach (var verified in new[] { true, false })
        {
            var image = new ProgramImage(name, code, new HelperTable("none")) { Verified = verified };
            using var reference = InterpreterEngine.Instance.Load(image, EngineOptions.Default);
            using var o0 = engine.Load(image, new EngineOptions { OptimizationLevel = 0 });
            using var o3 = engine.Load(image, new EngineOptions { OptimizationLevel = 3 });
            foreach (var value in values)
            {
                var expected = Run(reference, value);
                Assert.True(expected == Run(o0, value), $"{name} ({(verified ? "trusted" : "checked")}) O0, r2 = 0x{value:x}: {Run(o0, value)} against {expected}\n{string.Join("\n", code)}");
                Assert.True(expected == Run(o3, value), $"{name} ({(verified ? "trusted" : "checked")}) O3, r2 = 0x{value:x}: {Run(o3, value)} against {expected}\n{string.Join("\n", code)}");
            }
        }
    }

    private static string Run(IBpfExecutable executable, ulong value)
    {
        try
        {
            return executable.Execute(0, value).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (BpfException e)
        {
            return e.Code;
        }
    }
}
