using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.Interpreter;
using Bpftime.Engines.X64;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using static Bpftime.Tests.Engines.X64.Bpf;

namespace Bpftime.Tests.Engines.X64;

/// <summary>
/// Checked code's inline context test keeps the negated context start in rcx, which shift counts,
/// divides, helper calls and atomics borrow. Hostile accesses at and just past the context's ends,
/// after each borrower, and selects (branch-free conditional assignments), each run on the checked
/// interpreter (the reference) and the checked jit: the same r0, or the same fault at the same instruction.
/// </summary>
public sealed class JitCheckedContextTests
{
    private const int ContextSize = 64;

    private static readonly HelperFunction Twice = new(1, "twice", HelperPrototype.Unchecked, static (a, _, _, _, _) => a * 2);

    private readonly record struct Outcome(ulong R0, string? Fault, int? Index);

    private static Outcome RunOn(IBpfEngine engine, Instruction[] code, byte[] context, bool verified = false, long budget = EngineOptions.DefaultExecutionBudget)
    {
        var image = new ProgramImage("hostile", code, new HelperTable("t", [Twice])) { Verified = verified };
        using var executable = engine.Load(image, EngineOptions.Default with { ExecutionBudget = budget });
        try
        {
            return new Outcome(executable.Run((byte[])context.Clone()), null, null);
        }
        catch (BpfException e)
        {
            return new Outcome(0, e.Code, e.Diagnostic.InstructionIndex);
        }
    }

    private static byte[] Context(int size = ContextSize) => [.. Enumerable.Range(1, size).Select(b => (byte)b)];

    /// <summary>The jit agrees with the interpreter, both checked; returns the outcome.</summary>
    private static Outcome Same(Instruction[] code, byte[]? context = null, long budget = EngineOptions.DefaultExecutionBudget)
    {
        context ??= Context();
        var reference = RunOn(InterpreterEngine.Instance, code, context, budget: budget);
        var jit = RunOn(X64JitEngine.Instance, code, context, budget: budget);
        Assert.Equal(reference, jit);
        return jit;
    }

    private static void Faults(Instruction[] code, int index, byte[]? context = null)
    {
        var outcome = Same(code, context);
        Assert.NotNull(outcome.Fault);
        Assert.Equal(index, outcome.Index);
    }

    private static MemorySize SizeOf(int bytes) => bytes switch
    {
        1 => MemorySize.Byte,
        2 => MemorySize.Half,
        4 => MemorySize.Word,
        _ => MemorySize.DoubleWord,
    };

    [Fact]
    public void EveryAccessSizeEndsExactlyAtTheContextEnd()
    {
        foreach (var size in new[] { 1, 2, 4, 8 })
        {
            var last = (short)(ContextSize - size);
            Assert.NotEqual(0ul, Same(Program(Ldx(SizeOf(size), 0, 1, last), Exit())).R0);
            Faults(Program(Ldx(SizeOf(size), 0, 1, (short)(last + 1)), Exit()), 0);
            Faults(Program(Ldx(SizeOf(size), 0, 1, -1), Exit()), 0);
            Faults(Program(St(SizeOf(size), 1, (short)(last + 1), 7), Exit()), 0);
            // Through a moved pointer: the same bytes, the same limits.
            Faults(Program(Alu64(AluOperation.Add, 1, ContextSize), Ldx(SizeOf(size), 0, 1, (short)(1 - size)), Exit()), 1);
        }
    }

    [Fact]
    public void AddressesThatWrapAroundFault()
    {
        // r1 - 8 + 8 is the context's first byte again: allowed. All-ones + 0 ends past 2^64: refused.
        Assert.Equal(0x0807060504030201ul, Same(Program(LdImm64(2, -8), Alu64Reg(AluOperation.Add, 1, 2), Ldx(MemorySize.DoubleWord, 0, 1, 8), Exit())).R0);
        Faults(Program(Mov64(1, -1), Ldx(MemorySize.DoubleWord, 0, 1, 0), Exit()), 1);
        Faults(Program(Mov64(1, -1), Ldx(MemorySize.Byte, 0, 1, 0), Exit()), 1);
        Faults(Program(LdImm64(2, long.MinValue), Alu64Reg(AluOperation.Add, 1, 2), Ldx(MemorySize.Byte, 0, 1, 0), Exit()), 3);
    }

    [Fact]
    public void ChecksHoldAfterEveryInstructionThatBorrowsRcx()
    {
        // Each prefix uses rcx (shift count, divide, atomic loop, helper argument); r6 keeps the
        // context across the helper call, which clears r1-r5 in checked code.
        object[][] borrowers =
        [
            [Mov64(2, 3), Mov64(3, 1), Alu64Reg(AluOperation.Lsh, 3, 2)],
            [Mov64(2, 3), Mov64(3, -1), Alu32Reg(AluOperation.Arsh, 3, 2)],
            [Mov64(4, 100), Mov64(5, 7), Alu64Reg(AluOperation.Div, 4, 5)],
            [Mov64(4, 100), Mov64(5, 7), Alu32Reg(AluOperation.Mod, 4, 5, offset: 1)],
            [Mov64(3, 100), Mov64(5, 7), Alu64Reg(AluOperation.Div, 3, 5)],
            [St(MemorySize.DoubleWord, 10, -8, 1), Mov64(2, 2), Atomic(MemorySize.DoubleWord, AtomicOperation.FetchOr, 10, 2, -8)],
            [Mov64(4, 9), Call(1)],
        ];
        foreach (var borrower in borrowers)
        {
            var prefix = Program([Mov64Reg(6, 1), .. borrower]);
            var load = prefix.Length;
            Assert.Equal(0x403f3e3d3c3b3a39ul, Same(Program([.. prefix, Ldx(MemorySize.DoubleWord, 0, 6, ContextSize - 8), Exit()])).R0);
            Faults(Program([.. prefix, Ldx(MemorySize.DoubleWord, 0, 6, ContextSize - 7), Exit()]), load);
            Faults(Program([.. prefix, St(MemorySize.Byte, 6, -1, 0), Exit()]), load);
        }
    }

    [Fact]
    public void TheContextRegisterAddressFormEncodesEveryBase()
    {
        // Every eBPF register's host register as the base: rbp and r13 need a displacement byte,
        // r8-r15 the REX bits of base, index and destination.
        var asm = new X64Assembler();
        foreach (var bpf in Enumerable.Range(0, 11))
        {
            asm.LeaIndexed(X64Register.R10, HostRegister(bpf), X64Register.Rcx, bpf == 0 ? 0 : -bpf);
        }
        asm.LeaIndexed(X64Register.Rax, X64Register.R13, X64Register.R9, 0x1000);
        asm.Cmov(X64Condition.BelowOrEqual, X64Width.Qword, X64Register.R15, X64Register.R11);
        asm.Finish();
        var decoder = Iced.Intel.Decoder.Create(64, new Iced.Intel.ByteArrayCodeReader(asm.Code.ToArray()));
        var formatter = new Iced.Intel.NasmFormatter();
        var lines = new List<string>();
        while (decoder.IP < (ulong)asm.Code.Length)
        {
            var output = new Iced.Intel.StringOutput();
            formatter.Format(decoder.Decode(), output);
            lines.Add(output.ToStringAndReset());
        }
        Assert.Equal(
        [
            "lea r10,[rax+rcx]", "lea r10,[rdi+rcx-1]", "lea r10,[rsi+rcx-2]", "lea r10,[rdx+rcx-3]", "lea r10,[r9+rcx-4]",
            "lea r10,[r8+rcx-5]", "lea r10,[rbx+rcx-6]", "lea r10,[r13+rcx-7]", "lea r10,[r14+rcx-8]", "lea r10,[r15+rcx-9]",
            "lea r10,[rbp+rcx-0Ah]", "lea rax,[r13+r9+1000h]", "cmovbe r15,r11",
        ], lines);
    }

    private static X64Register HostRegister(int bpf) => bpf switch
    {
        0 => X64Register.Rax,
        1 => X64Register.Rdi,
        2 => X64Register.Rsi,
        3 => X64Register.Rdx,
        4 => X64Register.R9,
        5 => X64Register.R8,
        6 => X64Register.Rbx,
        7 => X64Register.R13,
        8 => X64Register.R14,
        9 => X64Register.R15,
        _ => X64Register.Rbp,
    };

    [Fact]
    public void TheLimitsFollowEachRunsContext()
    {
        // One compiled program, a long context then a short one: nothing of the first run's bounds stays.
        var code = Program(Ldx(MemorySize.DoubleWord, 0, 1, 56), Exit());
        using var executable = X64JitEngine.Instance.Load(new ProgramImage("runs", code, new HelperTable("none")) { Verified = false }, EngineOptions.Default);
        Assert.Equal(0x403f3e3d3c3b3a39ul, executable.Run(Context()));
        var fault = Assert.Throws<BpfException>(() => executable.Run(Context(60)));
        Assert.Equal(0, fault.Diagnostic.InstructionIndex);
        Assert.Equal(0x403f3e3d3c3b3a39ul, executable.Run(Context()));
    }

    [Fact]
    public void SelectsComputeWhatTheBranchesDid()
    {
        // if r2 <op> r3 goto +1; X, over values on both sides of each compare, 64- and 32-bit.
        Instruction[] assignments =
        [
            Alu64(AluOperation.Add, 0, 5), Alu64Reg(AluOperation.Sub, 0, 2), Alu32(AluOperation.Or, 0, -16),
            Alu64(AluOperation.And, 0, 0xff), Alu64Reg(AluOperation.Xor, 0, 0), Alu32Reg(AluOperation.Xor, 0, 3),
            Mov64(0, -1), Alu32(AluOperation.Mov, 0, -1), Mov64Reg(0, 3), Alu32Reg(AluOperation.Mov, 0, 2),
            Alu64(AluOperation.Lsh, 0, 60), Alu32(AluOperation.Rsh, 0, 0), Alu64(AluOperation.Arsh, 0, 63), Alu32(AluOperation.Arsh, 0, 33),
        ];
        JumpOperation[] compares = [JumpOperation.Jeq, JumpOperation.Jne, JumpOperation.Jgt, JumpOperation.Jge, JumpOperation.Jlt,
            JumpOperation.Jle, JumpOperation.Jsgt, JumpOperation.Jsge, JumpOperation.Jslt, JumpOperation.Jsle, JumpOperation.Jset];
        long[] values = [0, 1, -1, 0x8000_0000, 0x1_0000_0001];
        var selected = 0;
        foreach (var assign in assignments)
        {
            foreach (var compare in compares)
            {
                foreach (var a in values)
                {
                    foreach (var b in values)
                    {
                        var code = Program(LdImm64(0, unchecked((long)0x8765_4321_fedc_ba98)), LdImm64(2, a), LdImm64(3, b),
                            JmpReg(compare, 2, 3, 1), assign, Exit());
                        var code32 = Program(LdImm64(0, 0x1234_5678_9abc), LdImm64(2, a), LdImm64(3, b),
                            Jmp32(compare, 2, (int)b, 1), assign, Exit());
                        foreach (var program in new[] { code, code32 })
                        {
                            var expected = RunOn(InterpreterEngine.Instance, program, [], verified: true);
                            Assert.Equal(expected, RunOn(X64JitEngine.Instance, program, [], verified: true));
                            Assert.Equal(expected, RunOn(X64JitEngine.Instance, program, [], verified: false));
                            selected++;
                        }
                    }
                }
            }
        }
        Assert.Equal(assignments.Length * compares.Length * values.Length * values.Length * 2, selected);
        Assert.Contains(JitEncodingTests.Decode(Program(JmpReg(JumpOperation.Jgt, 2, 3, 1), Mov64(0, 1), Exit())), line => line.Text.StartsWith("cmovbe rax, r11", StringComparison.Ordinal));
    }

    [Fact]
    public void ASelectIsNotMadeWhenSomethingJumpsToItsAssignment()
    {
        // 2 jumps into the assignment at 4: the branch must stay, and the result depends on the way in.
        var code = Program(Mov64(0, 10), Mov64(2, 1), Jmp(JumpOperation.Jeq, 2, 1, 1), Jmp(JumpOperation.Jeq, 2, 0, 1), Alu64(AluOperation.Add, 0, 5), Exit());
        Assert.Equal(15ul, Same(code).R0);
        Assert.DoesNotContain(JitEncodingTests.Decode(code, 3), line => line.Text.StartsWith("cmov", StringComparison.Ordinal));
    }

    [Fact]
    public void ABackwardSelectSpendsOneUnitEachWayAndFaultsWhereTheInterpreterDoes()
    {
        // A loop that ends only when r2 wraps: r2 counts; when it is odd the jump at 5 is taken, else
        // r0 += 1 and the goto at 7 closes the loop. The budget runs out at either jump, by parity.
        var code = Program(
            Mov64(0, 0),
            Alu64(AluOperation.Add, 2, 1),
            Jmp(JumpOperation.Jeq, 2, 0, 5),
            Mov64Reg(3, 2),
            Alu64(AluOperation.And, 3, 1),
            Jmp(JumpOperation.Jne, 3, 0, -5),
            Alu64(AluOperation.Add, 0, 1),
            Ja(-7),
            Exit());
        var indexes = new HashSet<int?>();
        foreach (var budget in new long[] { 1, 2, 3, 10, 11 })
        {
            var outcome = Same(code, budget: budget);
            Assert.Equal(DiagnosticCodes.ExecutionBudgetExhausted, outcome.Fault);
            indexes.Add(outcome.Index);
        }
        Assert.Equal(new int?[] { 5, 7 }, indexes.Order());
        Assert.Contains(JitEncodingTests.Decode(code, 5, verified: false), line => line.Text.StartsWith("cmov", StringComparison.Ordinal));
    }
}
