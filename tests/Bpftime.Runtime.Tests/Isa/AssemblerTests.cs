using System.Globalization;
using Bpftime.Diagnostics;
using Bpftime.Isa;

namespace Bpftime.Tests.Isa;

public class AssemblerTests
{
    /// <summary>Encodings from RFC 9669's field layout, written as the bytes in memory.</summary>
    [Theory]
    [InlineData("mov32 %r0, 1", "b4 00 00 00 01 00 00 00")]
    [InlineData("mov %r0, %r1", "bf 10 00 00 00 00 00 00")]
    [InlineData("mov64 %r0, -1", "b7 00 00 00 ff ff ff ff")]
    [InlineData("add32 %r0, -1", "04 00 00 00 ff ff ff ff")]
    [InlineData("add %r3, 0x7fffffff", "07 03 00 00 ff ff ff 7f")]
    [InlineData("jne32 %r2, 0xffffff80, +0", "56 02 00 00 80 ff ff ff")]
    [InlineData("sub %r1, %r2", "1f 21 00 00 00 00 00 00")]
    [InlineData("mul32 %r1, 7", "24 01 00 00 07 00 00 00")]
    [InlineData("div %r1, %r2", "3f 21 00 00 00 00 00 00")]
    [InlineData("sdiv %r1, %r2", "3f 21 01 00 00 00 00 00")]
    [InlineData("sdiv32 %r1, -3", "34 01 01 00 fd ff ff ff")]
    [InlineData("mod %r1, 3", "97 01 00 00 03 00 00 00")]
    [InlineData("smod32 %r1, 3", "94 01 01 00 03 00 00 00")]
    [InlineData("or %r0, %r10", "4f a0 00 00 00 00 00 00")]
    [InlineData("and32 %r9, 0xff", "54 09 00 00 ff 00 00 00")]
    [InlineData("lsh %r1, 63", "67 01 00 00 3f 00 00 00")]
    [InlineData("rsh32 %r1, %r2", "7c 21 00 00 00 00 00 00")]
    [InlineData("arsh %r1, 3", "c7 01 00 00 03 00 00 00")]
    [InlineData("xor32 %r1, %r1", "ac 11 00 00 00 00 00 00")]
    [InlineData("neg %r0", "87 00 00 00 00 00 00 00")]
    [InlineData("neg32 %r5", "84 05 00 00 00 00 00 00")]
    [InlineData("movsx832 %r2, %r1", "bc 12 08 00 00 00 00 00")]
    [InlineData("movsx1632 %r2, %r1", "bc 12 10 00 00 00 00 00")]
    [InlineData("movsx864 %r2, %r1", "bf 12 08 00 00 00 00 00")]
    [InlineData("movsx1664 %r2, %r1", "bf 12 10 00 00 00 00 00")]
    [InlineData("movsx3264 %r0, %r9", "bf 90 20 00 00 00 00 00")]
    [InlineData("le16 %r0", "d4 00 00 00 10 00 00 00")]
    [InlineData("le64 %r3", "d4 03 00 00 40 00 00 00")]
    [InlineData("be32 %r1", "dc 01 00 00 20 00 00 00")]
    [InlineData("bswap64 %r1", "d7 01 00 00 40 00 00 00")]
    [InlineData("swap16 %r1", "d7 01 00 00 10 00 00 00")]
    [InlineData("ldxb %r0, [%r1]", "71 10 00 00 00 00 00 00")]
    [InlineData("ldxh %r0, [%r1+2]", "69 10 02 00 00 00 00 00")]
    [InlineData("ldxw %r0, [%r1+0x4]", "61 10 04 00 00 00 00 00")]
    [InlineData("ldxdw %r0, [%r10-8]", "79 a0 f8 ff 00 00 00 00")]
    [InlineData("ldxdw %r0, [ %r10 - 8 ]", "79 a0 f8 ff 00 00 00 00")]
    [InlineData("ldxsb %r0, [%r1-1]", "91 10 ff ff 00 00 00 00")]
    [InlineData("ldxsh %r0, [%r1+2]", "89 10 02 00 00 00 00 00")]
    [InlineData("ldxsw %r0, [%r1]", "81 10 00 00 00 00 00 00")]
    [InlineData("stb [%r10-8], 0x12", "72 0a f8 ff 12 00 00 00")]
    [InlineData("sth [%r1+2], -1", "6a 01 02 00 ff ff ff ff")]
    [InlineData("stw [%r1], 7", "62 01 00 00 07 00 00 00")]
    [InlineData("stdw [%r1+32767], 1", "7a 01 ff 7f 01 00 00 00")]
    [InlineData("stxb [%r1-32768], %r2", "73 21 00 80 00 00 00 00")]
    [InlineData("stxh [%r1], %r2", "6b 21 00 00 00 00 00 00")]
    [InlineData("stxw [%r1], %r2", "63 21 00 00 00 00 00 00")]
    [InlineData("stxdw [%r10-8], %r1", "7b 1a f8 ff 00 00 00 00")]
    [InlineData("lock add [%r10-8], %r1", "db 1a f8 ff 00 00 00 00")]
    [InlineData("lock or32 [%r1], %r2", "c3 21 00 00 40 00 00 00")]
    [InlineData("lock and [%r1], %r2", "db 21 00 00 50 00 00 00")]
    [InlineData("lock xor32 [%r1], %r2", "c3 21 00 00 a0 00 00 00")]
    [InlineData("lock fetch add32 [%r10-8], %r1", "c3 1a f8 ff 01 00 00 00")]
    [InlineData("lock fetch or [%r1], %r2", "db 21 00 00 41 00 00 00")]
    [InlineData("lock fetch and [%r1], %r2", "db 21 00 00 51 00 00 00")]
    [InlineData("lock fetch xor [%r1], %r2", "db 21 00 00 a1 00 00 00")]
    [InlineData("lock xchg [%r1], %r2", "db 21 00 00 e1 00 00 00")]
    [InlineData("lock xchg32 [%r1], %r2", "c3 21 00 00 e1 00 00 00")]
    [InlineData("lock cmpxchg32 [%r1+4], %r2", "c3 21 04 00 f1 00 00 00")]
    [InlineData("lock cmpxchg [%r1], %r2", "db 21 00 00 f1 00 00 00")]
    [InlineData("jeq %r1, 5, +3", "15 01 03 00 05 00 00 00")]
    [InlineData("jgt %r1, %r2, -1", "2d 21 ff ff 00 00 00 00")]
    [InlineData("jge32 %r1, 1, +0", "36 01 00 00 01 00 00 00")]
    [InlineData("jset %r1, 8, +1", "45 01 01 00 08 00 00 00")]
    [InlineData("jsgt %r1, -1, +1", "65 01 01 00 ff ff ff ff")]
    [InlineData("jsge32 %r1, %r2, +1", "7e 21 01 00 00 00 00 00")]
    [InlineData("jlt %r1, 2, +1", "a5 01 01 00 02 00 00 00")]
    [InlineData("jle32 %r1, %r3, +1", "be 31 01 00 00 00 00 00")]
    [InlineData("jslt32 %r1, %r2, -2", "ce 21 fe ff 00 00 00 00")]
    [InlineData("jsle %r1, 0, +1", "d5 01 01 00 00 00 00 00")]
    [InlineData("ja +1", "05 00 01 00 00 00 00 00")]
    [InlineData("ja -1", "05 00 ff ff 00 00 00 00")]
    [InlineData("ja32 +1", "06 00 00 00 01 00 00 00")]
    [InlineData("gotol -2", "06 00 00 00 fe ff ff ff")]
    [InlineData("call 5", "85 00 00 00 05 00 00 00")]
    [InlineData("call helper 1", "85 00 00 00 01 00 00 00")]
    [InlineData("call local +2", "85 10 00 00 02 00 00 00")]
    [InlineData("call runtime 7", "85 20 00 00 07 00 00 00")]
    [InlineData("call %r2", "8d 02 00 00 00 00 00 00")]
    [InlineData("callx %r9", "8d 09 00 00 00 00 00 00")]
    [InlineData("exit", "95 00 00 00 00 00 00 00")]
    public void EncodesOneInstruction(string source, string bytes)
    {
        var program = Assembler.Assemble(source);
        Assert.Single(program);
        Assert.Equal(bytes, Hex(program[0]));
    }

    [Fact]
    public void LoadImm64TakesTwoSlots()
    {
        var program = Assembler.Assemble("lddw %r0, 0x1122334455667788\nlddw %r9, -1");
        Assert.Equal(4, program.Length);
        Assert.Equal("18 00 00 00 88 77 66 55", Hex(program[0]));
        Assert.Equal("00 00 00 00 44 33 22 11", Hex(program[1]));
        Assert.Equal(0x1122334455667788L, program[0].Imm64With(program[1]));
        Assert.Equal(-1L, program[2].Imm64With(program[3]));
    }

    [Fact]
    public void LabelsResolveForwardAndBackwardCountingSlots()
    {
        var program = Assembler.Assemble("""
            start:
              jeq %r1, 0, done   # forward over an lddw, which takes two slots
              lddw %r0, 1
              ja start
            done: exit
            f:
              call local f
            """);
        Assert.Equal(3, program[0].Offset);
        Assert.Equal(-4, program[3].Offset);
        Assert.Equal(-1, program[5].Imm);
        Assert.Equal((byte)CallSource.Local, program[5].Src);
    }

    [Fact]
    public void ExitNamesTheFirstExitUnlessDefined()
    {
        var program = Assembler.Assemble("jne %r0, 0, exit\nmov %r0, 1\nexit\nmov %r0, 2\nexit");
        Assert.Equal(1, program[0].Offset);

        var defined = Assembler.Assemble("jne %r0, 0, exit\nexit\nexit:\nexit");
        Assert.Equal(1, defined[0].Offset);
    }

    [Fact]
    public void Ja32TakesItsTargetInTheImmediate()
    {
        var program = Assembler.Assemble("ja32 L\nexit\nL: exit");
        Assert.Equal(0, program[0].Offset);
        Assert.Equal(1, program[0].Imm);
    }

    [Theory]
    [InlineData("ldxq %r0, %r1", AssemblerDiagnosticCodes.AssemblerUnknownMnemonic, "ldxq")]
    [InlineData("or %r0, %r50", AssemblerDiagnosticCodes.AssemblerInvalidRegister, "%r50")]
    [InlineData("or %r0, %r11", AssemblerDiagnosticCodes.AssemblerInvalidRegister, "%r11")]
    [InlineData("mov r0, 1", AssemblerDiagnosticCodes.AssemblerInvalidRegister, "r0")]
    [InlineData("lddw %r0", AssemblerDiagnosticCodes.AssemblerOperandCount, "2 operands")]
    [InlineData("exit %r0", AssemblerDiagnosticCodes.AssemblerOperandCount, "0 operands")]
    [InlineData("add %r0, 1, 2, 3, 4", AssemblerDiagnosticCodes.AssemblerOperandCount, "found 5")]
    [InlineData("mov32 %r0, 2147483648", AssemblerDiagnosticCodes.AssemblerImmediateOutOfRange, "2147483648")]
    [InlineData("mov32 %r0, -2147483649", AssemblerDiagnosticCodes.AssemblerImmediateOutOfRange, "-2147483649")]
    [InlineData("mov32 %r0, 0x100000000", AssemblerDiagnosticCodes.AssemblerImmediateOutOfRange, "0x100000000")]
    [InlineData("lddw %r0, 0x10000000000000000", AssemblerDiagnosticCodes.AssemblerImmediateOutOfRange, "64 bits")]
    [InlineData("mov %r0, twelve", AssemblerDiagnosticCodes.AssemblerInvalidImmediate, "twelve")]
    [InlineData("mov %r0, 0x", AssemblerDiagnosticCodes.AssemblerInvalidImmediate, "0x")]
    [InlineData("ldxb %r0, %r1", AssemblerDiagnosticCodes.AssemblerInvalidMemoryOperand, "%r1")]
    [InlineData("ldxb %r0, [%r1+0x10000]", AssemblerDiagnosticCodes.AssemblerOffsetOutOfRange, "0x10000")]
    [InlineData("ldxb %r0, [%r1-32769]", AssemblerDiagnosticCodes.AssemblerOffsetOutOfRange, "-32769")]
    [InlineData("ja NOT_A_LABEL\nexit", AssemblerDiagnosticCodes.AssemblerUndefinedLabel, "NOT_A_LABEL")]
    [InlineData("a:\na:\nexit", AssemblerDiagnosticCodes.AssemblerDuplicateLabel, "'a'")]
    [InlineData("lock or [%r10-8]", AssemblerDiagnosticCodes.AssemblerOperandCount, "Invalid number of operands for lock")]
    [InlineData("lock", AssemblerDiagnosticCodes.AssemblerOperandCount, "Invalid number of operands for lock")]
    [InlineData("lock sub [%r1], %r2", AssemblerDiagnosticCodes.AssemblerInvalidAtomic, "sub")]
    [InlineData("call far 3", AssemblerDiagnosticCodes.AssemblerInvalidCall, "far")]
    [InlineData("call local nowhere", AssemblerDiagnosticCodes.AssemblerUndefinedLabel, "nowhere")]
    [InlineData("1abc:\nexit", AssemblerDiagnosticCodes.AssemblerSyntax, "1abc")]
    [InlineData("jeq %r0, 0, a-b", AssemblerDiagnosticCodes.AssemblerSyntax, "a-b")]
    public void RefusesWithCodeAndLine(string source, string code, string mentions)
    {
        var error = Assert.Throws<BpfException>(() => Assembler.Assemble("mov %r0, 0\n" + source, "t.asm"));
        Assert.Equal(code, error.Code);
        Assert.Contains(mentions, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("line ", error.Message, StringComparison.Ordinal);
        Assert.True(error.Diagnostic.Line >= 2, error.Message);
        Assert.Equal("t.asm", error.Diagnostic.File);
    }

    [Fact]
    public void ReportsTheLineOfTheFaultyInstruction()
    {
        var error = Assert.Throws<BpfException>(() => Assembler.Assemble("# comment\n\nmov %r0, 1\nfoo %r1\nexit", firstLine: 10));
        Assert.Equal(13, error.Diagnostic.Line);
        Assert.StartsWith("line 13: unknown mnemonic 'foo'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FarLabelNeedsGotol()
    {
        var source = "ja far\n" + string.Concat(Enumerable.Repeat("mov %r0, 0\n", 40000)) + "far: exit";
        var error = Assert.Throws<BpfException>(() => Assembler.Assemble(source));
        Assert.Equal(AssemblerDiagnosticCodes.AssemblerJumpOutOfRange, error.Code);
        Assert.Equal(40000, Assembler.Assemble(source.Replace("ja far", "gotol far"))[0].Imm);
    }

    [Fact]
    public void EmptySourceGivesAnEmptyProgram()
    {
        Assert.Empty(Assembler.Assemble("# nothing\n\n"));
    }

    internal static string Hex(Instruction instruction)
    {
        Span<byte> bytes = stackalloc byte[Instruction.Size];
        instruction.Write(bytes);
        return string.Join(' ', bytes.ToArray().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
    }
}
