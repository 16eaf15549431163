using Bpftime.Engines.X64;
using Iced.Intel;

namespace Bpftime.Tests.Engines.X64;

/// <summary>The encoder on its own: addressing forms that need SIB or a displacement, and jump sizes.</summary>
public sealed class X64AssemblerTests
{
    private static string[] Decode(X64Assembler assembler)
    {
        assembler.Finish();
        var bytes = assembler.Code.ToArray();
        var decoder = Iced.Intel.Decoder.Create(64, new ByteArrayCodeReader(bytes));
        var formatter = new NasmFormatter();
        formatter.Options.HexPrefix = "0x";
        formatter.Options.HexSuffix = "";
        formatter.Options.UppercaseHex = false;
        formatter.Options.SpaceAfterOperandSeparator = true;
        var lines = new List<string>();
        while (decoder.IP < (ulong)bytes.Length)
        {
            var instruction = decoder.Decode();
            Assert.False(instruction.IsInvalid);
            var output = new StringOutput();
            formatter.Format(instruction, output);
            lines.Add(output.ToStringAndReset());
        }
        return [.. lines];
    }

    [Fact]
    public void BaseRegistersThatNeedSibOrADisplacement()
    {
        var asm = new X64Assembler();
        asm.Load(X64Width.Qword, X64Register.Rax, X64Register.R12, 0);
        asm.Load(X64Width.Qword, X64Register.Rax, X64Register.Rsp, 8);
        asm.Load(X64Width.Qword, X64Register.Rax, X64Register.Rbp, 0);
        asm.Load(X64Width.Qword, X64Register.Rax, X64Register.R13, 0);
        asm.Load(X64Width.Dword, X64Register.R15, X64Register.R13, -0x1000);
        asm.Store(X64Width.Byte, X64Register.Rdi, 1, X64Register.Rsi);
        asm.Store(X64Width.Byte, X64Register.Rdi, 1, X64Register.Rbx);
        Assert.Equal(
        [
            "mov rax, [r12]", "mov rax, [rsp+8]", "mov rax, [rbp]", "mov rax, [r13]", "mov r15d, [r13-0x1000]",
            "mov [rdi+1], sil", "mov [rdi+1], bl",
        ], Decode(asm));
    }

    [Fact]
    public void NopsOfEveryLengthDecodeAsThatManyBytesOfNops()
    {
        for (var count = 0; count <= 64; count++)
        {
            var asm = new X64Assembler();
            asm.Nops(count);
            var bytes = asm.Code.ToArray();
            Assert.Equal(count, bytes.Length);
            var decoder = Iced.Intel.Decoder.Create(64, new ByteArrayCodeReader(bytes));
            var instructions = 0;
            while (decoder.IP < (ulong)bytes.Length)
            {
                var instruction = decoder.Decode();
                Assert.Equal(Mnemonic.Nop, instruction.Mnemonic);
                instructions++;
            }
            Assert.Equal((ulong)count, decoder.IP);
            // Nine bytes each at most: long padding is few instructions to run.
            Assert.Equal((count + 8) / 9, instructions);
        }
    }

    [Fact]
    public void JumpsTakeRel8BackwardsWhenTheyFitAndRel32Forwards()
    {
        var asm = new X64Assembler();
        var top = asm.CreateLabel();
        var end = asm.CreateLabel();
        asm.Bind(top);
        asm.Alu(X64AluOperation.Sub, X64Width.Qword, X64Register.Rax, 1);
        asm.Jcc(X64Condition.NotEqual, top);
        var shortBack = asm.Position;
        asm.Jcc(X64Condition.Equal, end);
        var nearForward = asm.Position;
        asm.Jmp(end, forceShort: true);
        var shortForward = asm.Position;
        asm.Bind(end);
        asm.Ret();
        Assert.Equal(6, shortBack);                 // sub (4) + jne rel8 (2)
        Assert.Equal(12, nearForward);              // je rel32 (6)
        Assert.Equal(14, shortForward);             // jmp rel8 (2)
        Assert.Equal(["sub rax, 1", "jne short 0", "je near 0x000000000000000e", "jmp short 0x000000000000000e", "ret"], Decode(asm));
    }

    [Fact]
    public void ImmediatesPickTheirShortestForms()
    {
        var asm = new X64Assembler();
        asm.MovImmediate(X64Register.R8, 0);
        asm.MovImmediate(X64Register.R8, 5);
        asm.MovImmediate(X64Register.R8, -5);
        asm.MovImmediate(X64Register.R8, 0x1_0000_0000);
        asm.Alu(X64AluOperation.Cmp, X64Width.Dword, X64Register.R9, -128);
        asm.Alu(X64AluOperation.Cmp, X64Width.Dword, X64Register.R9, 128);
        Assert.Equal(
        [
            "xor r8d, r8d", "mov r8d, 5", "mov r8, 0xfffffffffffffffb", "mov r8, 0x100000000", "cmp r9d, 0xffffff80", "cmp r9d, 0x80",
        ], Decode(asm));
        Assert.Equal(3 + 6 + 7 + 10 + 4 + 7, asm.Position);
    }
}
