using Bpftime.Diagnostics;
using Bpftime.Isa;

namespace Bpftime.Tests.Isa;

public class InstructionDecoderTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(9)]
    [InlineData(15)]
    public void RefusesLengthsThatAreNotWholeInstructions(int length)
    {
        var error = Assert.Throws<BpfException>(() => InstructionDecoder.Decode(new byte[length], "x.bin"));
        Assert.Equal(DiagnosticCodes.BytecodeLengthNotMultipleOfEight, error.Code);
        Assert.Equal("x.bin", error.Diagnostic.File);
        Assert.Contains(length.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EmptyBytecodeIsAnEmptyProgram()
    {
        Assert.Empty(InstructionDecoder.Decode([]));
    }

    [Fact]
    public void ExtractsEveryField()
    {
        // stxdw [%r10-8], %r1 then lddw %r0, 0x1122334455667788 (RFC 9669 layout, little-endian).
        byte[] bytes =
        [
            0x7b, 0x1a, 0xf8, 0xff, 0x00, 0x00, 0x00, 0x00,
            0x18, 0x00, 0x00, 0x00, 0x88, 0x77, 0x66, 0x55,
            0x00, 0x00, 0x00, 0x00, 0x44, 0x33, 0x22, 0x11,
            0xc3, 0x2a, 0x04, 0x00, 0xf1, 0x00, 0x00, 0x00,
        ];
        var program = InstructionDecoder.Decode(bytes);
        Assert.Equal(4, program.Length);

        var store = program[0];
        Assert.Equal(0x7b, store.Opcode);
        Assert.Equal(InstructionClass.Stx, store.Class);
        Assert.Equal(MemoryMode.Mem, store.MemoryMode);
        Assert.Equal(MemorySize.DoubleWord, store.MemorySize);
        Assert.Equal(10, store.Dst);
        Assert.Equal(1, store.Src);
        Assert.Equal(-8, store.Offset);
        Assert.Equal(0, store.Imm);

        Assert.True(program[1].IsLoadImm64);
        Assert.Equal(0x1122334455667788L, program[1].Imm64With(program[2]));

        var atomic = program[3];
        Assert.Equal(MemoryMode.Atomic, atomic.MemoryMode);
        Assert.Equal(MemorySize.Word, atomic.MemorySize);
        Assert.Equal(AtomicOperation.CmpXchg, atomic.AtomicOperation);
        Assert.Equal(10, atomic.Dst);
        Assert.Equal(2, atomic.Src);
        Assert.Equal(4, atomic.Offset);

        Assert.Equal(bytes, InstructionDecoder.Encode(program));
    }

    [Fact]
    public void ClassifiesAluAndJumps()
    {
        var sdiv = Instruction.FromUInt64(0x000000000001213f); // sdiv %r1, %r2
        Assert.Equal(InstructionClass.Alu64, sdiv.Class);
        Assert.Equal(AluOperation.Div, sdiv.AluOperation);
        Assert.Equal(OperandSource.Register, sdiv.Source);
        Assert.Equal(1, sdiv.Offset);

        var jslt32 = Instruction.FromUInt64(0xffffffff0003_01c6); // jslt32 %r1, -1, +3
        Assert.Equal(InstructionClass.Jmp32, jslt32.Class);
        Assert.Equal(JumpOperation.Jslt, jslt32.JumpOperation);
        Assert.Equal(OperandSource.Immediate, jslt32.Source);
        Assert.Equal(-1, jslt32.Imm);
        Assert.Equal(3, jslt32.Offset);

        var callx = Instruction.FromUInt64(0x000000000000028d);
        Assert.True(callx.IsCall);
        Assert.False(callx.IsHelperCall);
        Assert.Equal(2, callx.Dst);

        Assert.Equal(0x000000000001213fUL, sdiv.ToUInt64());
    }
}
