using Bpftime.Engines;
using Bpftime.Engines.X64;
using Bpftime.Helpers;
using Bpftime.Isa;
using Iced.Intel;
using static Bpftime.Tests.Engines.X64.Bpf;
using Instruction = Bpftime.Isa.Instruction;
using MemorySize = Bpftime.Isa.MemorySize;

namespace Bpftime.Tests.Engines.X64;

/// <summary>
/// The emitted bytes of each opcode group, decoded with Iced: the intended instructions in their
/// shortest forms (8-bit immediates and displacements when they fit), nothing more.
/// </summary>
public sealed class JitEncodingTests
{
    private static readonly HelperTable Helpers = new("t", [new HelperFunction(1, "h", HelperPrototype.Unchecked, (_, _, _, _, _) => 0)]);

    /// <summary>The code of instruction <paramref name="index"/>, as NASM text lines with the byte length of each.</summary>
    internal static List<(string Text, int Length)> Decode(Instruction[] program, int index = 0, bool verified = true)
    {
        var image = new ProgramImage("enc", program, Helpers) { Verified = verified };
        var compiled = X64Compiler.Compile(image, new JitBindings(0x1234_5678, h => h.NativeEntry, _ => 0x5678));
        var start = compiled.InstructionOffsets[index];
        var end = compiled.InstructionOffsets[index + 1];
        var bytes = compiled.Code[start..end];
        var decoder = Iced.Intel.Decoder.Create(64, new ByteArrayCodeReader(bytes));
        var formatter = new NasmFormatter();
        formatter.Options.HexPrefix = "0x";
        formatter.Options.HexSuffix = "";
        formatter.Options.UppercaseHex = false;
        formatter.Options.SpaceAfterOperandSeparator = true;
        formatter.Options.BranchLeadingZeros = false;
        var result = new List<(string, int)>();
        while (decoder.IP < (ulong)bytes.Length)
        {
            var insn = decoder.Decode();
            Assert.False(insn.IsInvalid, $"invalid x86 code at +{insn.IP} of instruction {index}");
            var output = new StringOutput();
            formatter.Format(insn, output);
            result.Add((output.ToStringAndReset(), insn.Length));
        }
        return result;
    }

    private static string[] Text(Instruction[] program, int index = 0, bool verified = true) =>
        [.. Decode(program, index, verified).Select(d => d.Text)];

    private static Instruction[] One(params object[] parts) => Program([.. parts, Exit()]);

    [Fact]
    public void AddImmediateUsesTheShortForm()
    {
        var decoded = Decode(One(Alu64(AluOperation.Add, 1, 5)));
        Assert.Equal([("add rdi, 5", 4)], decoded);
        decoded = Decode(One(Alu64(AluOperation.Add, 1, 1000)));
        Assert.Equal([("add rdi, 0x3e8", 7)], decoded);
        decoded = Decode(One(Alu64(AluOperation.Sub, 0, 1000)));
        Assert.Equal([("sub rax, 0x3e8", 6)], decoded); // the accumulator form
        Assert.Equal(["and r13d, 0xf"], Text(One(Alu32(AluOperation.And, 7, 15))));
    }

    [Fact]
    public void RegisterArithmetic()
    {
        Assert.Equal(["add edi, esi"], Text(One(Alu32Reg(AluOperation.Add, 1, 2))));
        Assert.Equal(["xor r15, rbx"], Text(One(Alu64Reg(AluOperation.Xor, 9, 6))));
        Assert.Equal(["imul rdx, r8"], Text(One(Alu64Reg(AluOperation.Mul, 3, 5))));
        Assert.Equal(["imul rdx, 0xa"], Text(One(Alu64(AluOperation.Mul, 3, 10))));
        Assert.Equal(["neg r9d"], Text(One(Alu32(AluOperation.Neg, 4, 0))));
    }

    [Fact]
    public void MovesPickTheShortestImmediate()
    {
        Assert.Equal(["xor eax, eax"], Text(One(Mov64(0, 0))));
        Assert.Equal(["mov eax, 7"], Text(One(Mov64(0, 7))));
        Assert.Equal(["mov rax, 0xffffffffffffffff"], Text(One(Mov64(0, -1))));
        Assert.Equal(["mov eax, 0xffffffff"], Text(One(Alu32(AluOperation.Mov, 0, -1))));
        Assert.Equal(["mov r14, 0x123456789"], Text(One(LdImm64(8, 0x1_2345_6789))));
        Assert.Equal(["movsx rax, dil"], Text(One(Alu64Reg(AluOperation.Mov, 0, 1, 8))));
        Assert.Equal(["movsx eax, si"], Text(One(Alu32Reg(AluOperation.Mov, 0, 2, 16))));
        Assert.Equal(["movsxd rbx, edx"], Text(One(Alu64Reg(AluOperation.Mov, 6, 3, 32))));
    }

    [Fact]
    public void ShiftsMaskAndUseCl()
    {
        Assert.Equal(["shl rax, 3"], Text(One(Alu64(AluOperation.Lsh, 0, 3))));
        Assert.Equal(["shr eax, 1"], Text(One(Alu32(AluOperation.Rsh, 0, 33)))); // 33 & 31
        Assert.Equal(["mov ecx, esi", "sar rax, cl"], Text(One(Alu64Reg(AluOperation.Arsh, 0, 2))));
    }

    [Fact]
    public void ZeroExtensionIdiomBecomesOneMove()
    {
        Assert.Equal(["mov r13d, r13d"], Text(One(Alu64(AluOperation.Lsh, 7, 32), Alu64(AluOperation.Rsh, 7, 32))));
        // Not when a branch lands on the second half.
        var split = Program(Jmp(JumpOperation.Jeq, 1, 0, 2), Alu64(AluOperation.Mul, 0, 3), Alu64(AluOperation.Lsh, 7, 32), Alu64(AluOperation.Rsh, 7, 32), Exit());
        Assert.Equal(["shl r13, 0x20"], Text(split, 2));
        Assert.Equal(["shr r13, 0x20"], Text(split, 3));
    }

    [Fact]
    public void ByteSwaps()
    {
        Assert.Equal(["rol ax, 8", "movzx eax, ax"], Text(One(new Instruction(0xdc, 0, 0, 0, 16))));
        Assert.Equal(["bswap eax"], Text(One(new Instruction(0xdc, 0, 0, 0, 32))));
        Assert.Equal(["bswap rax"], Text(One(new Instruction(0xd7, 0, 0, 0, 64))));
        Assert.Equal(["movzx eax, ax"], Text(One(new Instruction(0xd4, 0, 0, 0, 16))));
        Assert.Empty(Text(One(new Instruction(0xd4, 0, 0, 0, 64))));
    }

    [Fact]
    public void DivisionGuardsZeroAndMinusOne()
    {
        var text = Text(One(Alu64Reg(AluOperation.Div, 1, 2, 1)));
        Assert.Contains("test r11, r11", text);
        Assert.Contains("cmp r11, 0xffffffffffffffff", text);
        Assert.Contains("cqo", text);
        Assert.Contains("idiv r11", text);
        Assert.Equal(["shr rdi, 4"], Text(One(Alu64(AluOperation.Div, 1, 16))));
        Assert.Equal(["and edi, 0xf"], Text(One(Alu32(AluOperation.Mod, 1, 16))));
    }

    [Fact]
    public void LoadsAndStoresUseDisp8()
    {
        Assert.Equal([("mov rax, [rdi+8]", 4)], Decode(One(Ldx(MemorySize.DoubleWord, 0, 1, 8))));
        Assert.Equal(["movzx eax, byte [rdi+0x200]"], Text(One(Ldx(MemorySize.Byte, 0, 1, 512))));
        Assert.Equal(["movzx ebx, word [r13]"], Text(One(Ldx(MemorySize.Half, 6, 7, 0))));
        Assert.Equal(["movsx rax, byte [rdi+2]"], Text(One(Ldsx(MemorySize.Byte, 0, 1, 2))));
        Assert.Equal(["movsxd rax, [rsi-4]"], Text(One(Ldsx(MemorySize.Word, 0, 2, -4))));
        Assert.Equal(["mov [rbp-1], dil"], Text(One(Stx(MemorySize.Byte, 10, 1, -1))));
        Assert.Equal(["mov [rbp-2], r9w"], Text(One(Stx(MemorySize.Half, 10, 4, -2))));
        Assert.Equal(["mov qword [rbp-8], 0xffffffffffffffff"], Text(One(St(MemorySize.DoubleWord, 10, -8, -1))));
    }

    [Fact]
    public void Atomics()
    {
        Assert.Equal(["lock add [rbp-8], rdi"], Text(One(Atomic(MemorySize.DoubleWord, AtomicOperation.Add, 10, 1, -8))));
        Assert.Equal(["lock xadd [rdi], esi"], Text(One(Atomic(MemorySize.Word, AtomicOperation.FetchAdd, 1, 2, 0))));
        Assert.Equal(["xchg rdi, [rbp-8]"], Text(One(Atomic(MemorySize.DoubleWord, AtomicOperation.Xchg, 10, 1, -8))));
        Assert.Equal(["lock cmpxchg [rdi+4], esi", "mov eax, eax"], Text(One(Atomic(MemorySize.Word, AtomicOperation.CmpXchg, 1, 2, 4))));
        var loop = Text(One(Atomic(MemorySize.DoubleWord, AtomicOperation.FetchOr, 1, 2, 0)));
        Assert.Contains("lock cmpxchg [r11], rcx", loop);
        Assert.Contains("or rcx, rsi", loop);
    }

    [Fact]
    public void JumpsCompareOrTest()
    {
        // Over a multiplication, which a select does not take (see JitCheckedContextTests for selects).
        var text = Text(Program(Jmp(JumpOperation.Jeq, 1, 0, 1), Alu64(AluOperation.Mul, 0, 3), Exit()));
        Assert.Equal("test rdi, rdi", text[0]);
        Assert.StartsWith("je ", text[1]);
        text = Text(Program(Jmp32(JumpOperation.Jsgt, 1, 100, 1), Alu64(AluOperation.Mul, 0, 3), Exit()));
        Assert.Equal("cmp edi, 0x64", text[0]);
        Assert.StartsWith("jg ", text[1]);
        text = Text(Program(JmpReg(JumpOperation.Jset, 6, 7, 1), Alu64(AluOperation.Mul, 0, 3), Exit()));
        Assert.Equal("test rbx, r13", text[0]);
        Assert.StartsWith("jne ", text[1]);
        // A backward jump within reach takes rel8.
        var back = Decode(Program(Mov64(0, 1), Alu64(AluOperation.Sub, 0, 1), Jmp(JumpOperation.Jne, 0, 0, -2), Exit()), 2);
        Assert.Equal(2, back[^1].Length);
    }

    [Fact]
    public void HelperCallsGoThroughTheNativeEntry()
    {
        var text = Text(One(Call(1)));
        Assert.Equal("mov rcx, r9", text[0]);
        // The live frames' bottom (this frame's) goes to the run state, for the helper's pointer checks.
        Assert.StartsWith("lea rax, [rbp-", text[1]);
        Assert.Equal("mov [r12+0x68], rax", text[2]);
        Assert.StartsWith("mov rax, 0x", text[3]);
        Assert.Equal("call rax", text[4]);
    }

    [Fact]
    public void UncheckedAccessChecksTheContextInlineUnlessInTheFrame()
    {
        var text = Text(One(Ldx(MemorySize.DoubleWord, 0, 1, 8)), verified: false);
        // One unsigned compare: address - context start (rcx holds the negated start) below the run
        // state's limit for 8-byte accesses; the load then uses its own operand (only the slow path
        // computes the address into r11).
        Assert.Equal("lea r10, [rdi+rcx+8]", text[0]);
        Assert.Equal("cmp r10, [r12+0x88]", text[1]);
        Assert.StartsWith("jae ", text[2]);
        Assert.Equal("mov rax, [rdi+8]", text[3]);
        Assert.Equal(["mov rax, [rbp-8]"], Text(One(Ldx(MemorySize.DoubleWord, 0, 10, -8)), verified: false));
        Assert.Equal("test r11d, 7", Text(One(Atomic(MemorySize.DoubleWord, AtomicOperation.Add, 1, 2, 0)), verified: false)[1]);
    }

    [Fact]
    public void ABackwardJumpSpendsTheBudgetInAVectorRegister()
    {
        // r0 += 1; if r0 < 10 goto 0 (and a second back-edge to 0, so that the spend stays at the jump;
        // see JitLoopHeadSpendTests for a head with one): the taken jump tests a copy of the counter
        // and takes one unit from xmm15 (adding xmm14's -1); no memory is read or written on the back-edge.
        var loop = Program(Alu64(AluOperation.Add, 0, 1), Jmp(JumpOperation.Jlt, 0, 10, -2), Jmp(JumpOperation.Jlt, 0, 20, -3), Exit());
        var text = Text(loop, index: 1, verified: false);
        Assert.Equal("cmp rax, 0xa", text[0]);
        Assert.StartsWith("jae ", text[1]);
        Assert.Equal("movq r10, xmm15", text[2]);
        Assert.Equal("test r10, r10", text[3]);
        Assert.StartsWith("je ", text[4]);
        Assert.Equal("paddq xmm15, xmm14", text[5]);
        Assert.StartsWith("jmp ", text[6]);
        Assert.Equal(7, text.Length);
    }

    [Fact]
    public void AHelperCallHandsTheBudgetToTheRunStateAndTakesItBack()
    {
        var text = Text(One(Call(1)), verified: false);
        var store = Array.IndexOf(text, "movq [r12+0x60], xmm15");
        var call = Array.IndexOf(text, "call rax");
        var reload = Array.IndexOf(text, "movq xmm15, [r12+0x60]");
        Assert.True(store >= 0 && store < call && call < reload, string.Join(" | ", text));
        Assert.Equal("pcmpeqd xmm14, xmm14", text[reload + 1]);
        // Verified code proven to end has no counter at all.
        Assert.DoesNotContain(Text(One(Call(1))), line => line.Contains("xmm", StringComparison.Ordinal));
    }
}
