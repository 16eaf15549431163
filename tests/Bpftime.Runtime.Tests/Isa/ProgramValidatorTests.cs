using Bpftime.Diagnostics;
using Bpftime.Isa;

namespace Bpftime.Tests.Isa;

public class ProgramValidatorTests
{
    private static readonly Instruction Exit = new(Opcodes.Exit, 0, 0, 0, 0);

    private static IReadOnlyList<BpfDiagnostic> Check(string source, ValidationOptions? options = null) =>
        ProgramValidator.Validate(Assembler.Assemble(source), options, "prog");

    private static IReadOnlyList<BpfDiagnostic> Check(params Instruction[] program) => ProgramValidator.Validate(program, null, "prog");

    private static BpfDiagnostic Single(IReadOnlyList<BpfDiagnostic> diagnostics, string code, int index)
    {
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal(code, diagnostic.Code);
        Assert.Equal(index, diagnostic.InstructionIndex);
        Assert.Equal("prog", diagnostic.Program);
        Assert.False(string.IsNullOrWhiteSpace(diagnostic.Message));
        return diagnostic;
    }

    [Fact]
    public void AcceptsAWellFormedProgram()
    {
        Assert.Empty(Check("""
            mov %r0, 0
            lddw %r1, 0x123456789
            stxdw [%r10-8], %r1
            lock fetch add [%r10-8], %r0
            jeq %r0, 0, +1
            call local f
            ja32 +0
            exit
            f:
            mov32 %r0, 2
            exit
            """));
    }

    [Fact]
    public void EmptyProgram()
    {
        Single(Check(), DiagnosticCodes.EmptyProgram, 0);
    }

    [Fact]
    public void InstructionLimit()
    {
        var program = Enumerable.Repeat(Exit, 11).ToArray();
        Single(ProgramValidator.Validate(program, new ValidationOptions { MaxInstructions = 10 }, "prog"), DiagnosticCodes.TooManyInstructions, 10);
        Assert.Empty(ProgramValidator.Validate(program, new ValidationOptions { MaxInstructions = 11 }));
    }

    [Theory]
    [InlineData(0xff)]
    [InlineData(0xe7)] // ALU operation 0xe0
    [InlineData(0xf4)]
    [InlineData(0x8c)] // neg with the register bit
    [InlineData(0xdf)] // bswap with the register bit
    [InlineData(0x0d)] // ja with the register bit
    [InlineData(0x0e)] // gotol with the register bit
    [InlineData(0x86)] // call in JMP32
    [InlineData(0x96)] // exit in JMP32
    [InlineData(0x9d)] // exit with the register bit
    [InlineData(0xe5)] // jump operation 0xe0
    [InlineData(0x38)] // legacy ld abs of a double word (ld_abs/ld_ind of 1-4 bytes are instructions: LegacyPacketValidationTests)
    [InlineData(0x58)] // legacy ld ind of a double word
    [InlineData(0x10)] // LD of a byte, mode IMM
    [InlineData(0x99)] // ldsx of a double word
    [InlineData(0x21)] // LDX mode ABS
    [InlineData(0xc2)] // ST mode ATOMIC
    [InlineData(0x83)] // STX mode MEMSX
    public void UnknownOpcode(byte opcode)
    {
        var diagnostic = Single(Check(new Instruction(opcode, 0, 0, 0, 0), Exit), DiagnosticCodes.UnknownOpcode, 0);
        Assert.Contains($"0x{opcode:x2}", diagnostic.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0x3f, 11, 1)] // div64 reg, dst
    [InlineData(0x3f, 1, 12)] // div64 reg, src
    [InlineData(0x79, 1, 15)] // ldxdw src
    [InlineData(0x62, 13, 0)] // stw dst
    [InlineData(0x7b, 1, 11)] // stxdw src
    [InlineData(0x1d, 11, 1)] // jeq dst
    [InlineData(0xdb, 1, 14)] // atomic src
    [InlineData(0x8d, 11, 0)] // callx dst
    public void InvalidRegister(byte opcode, byte dst, byte src)
    {
        var diagnostic = Single(
            ProgramValidator.Validate([new Instruction(opcode, dst, src, 0, 0), Exit], new ValidationOptions { AllowCallx = true }, "prog"),
            DiagnosticCodes.InvalidRegister, 0);
        Assert.Contains("r0 to r10", diagnostic.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mov %r10, 1")]
    [InlineData("add32 %r10, %r1")]
    [InlineData("neg %r10")]
    [InlineData("be16 %r10")]
    [InlineData("movsx864 %r10, %r1")]
    [InlineData("ldxdw %r10, [%r1]")]
    [InlineData("lddw %r10, 1")]
    [InlineData("lock fetch add [%r1], %r10")]
    [InlineData("lock xchg32 [%r1], %r10")]
    public void WriteToFramePointer(string instruction)
    {
        var diagnostic = Single(Check(instruction + "\nexit"), DiagnosticCodes.WriteToFramePointer, 0);
        Assert.Contains("r10", diagnostic.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mov %r0, %r10")]
    [InlineData("stxdw [%r10-8], %r1")]
    [InlineData("stdw [%r10-8], 1")]
    [InlineData("ldxdw %r0, [%r10-8]")]
    [InlineData("lock add [%r1], %r10")]
    [InlineData("lock cmpxchg [%r1], %r10")]
    [InlineData("jeq %r10, 0, +0")]
    public void ReadingTheFramePointerIsFine(string instruction)
    {
        Assert.Empty(Check(instruction + "\nexit"));
    }

    [Theory]
    [InlineData("ja +2\nexit", 0)]
    [InlineData("ja -2\nexit", 0)]
    [InlineData("exit\njeq %r0, 0, +1\nexit", 1)]
    [InlineData("exit\njne32 %r0, %r1, -3\nexit", 1)]
    [InlineData("gotol +5\nexit", 0)]
    public void JumpOutOfBounds(string source, int index)
    {
        var diagnostic = Single(Check(source), DiagnosticCodes.JumpOutOfBounds, index);
        Assert.Contains("outside the program", diagnostic.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ja +1\nlddw %r0, 1\nexit", 0)]
    [InlineData("lddw %r0, 1\njeq %r0, 0, -2\nexit", 2)]
    [InlineData("gotol +1\nlddw %r0, 1\nexit", 0)]
    [InlineData("call local +1\nlddw %r0, 1\nexit", 0)]
    public void JumpIntoLoadImm64(string source, int index)
    {
        var diagnostic = Single(Check(source), DiagnosticCodes.JumpIntoLoadImm64, index);
        Assert.Contains("second half", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void JumpsAroundLoadImm64AreFine()
    {
        Assert.Empty(Check("ja +2\nlddw %r0, 1\nexit"));
        Assert.Empty(Check("lddw %r0, 1\nja -3\nexit"));
    }

    [Fact]
    public void LoadImm64Truncated()
    {
        Single(Check(Exit, new Instruction(Opcodes.LoadImm64, 0, 0, 0, 1)), DiagnosticCodes.LoadImm64Truncated, 1);
    }

    [Theory]
    [InlineData(0x95, 0, 0, 0)]
    [InlineData(0, 1, 0, 0)]
    [InlineData(0, 0, 1, 0)]
    [InlineData(0, 0, 0, 1)]
    public void LoadImm64SecondSlotMalformed(byte opcode, byte dst, byte src, short offset)
    {
        Single(Check(new Instruction(Opcodes.LoadImm64, 0, 0, 0, 1), new Instruction(opcode, dst, src, offset, 7), Exit), DiagnosticCodes.LoadImm64SecondSlotMalformed, 1);
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, true)]
    [InlineData(4, true)]
    [InlineData(6, true)]
    [InlineData(7, false)]
    [InlineData(15, false)]
    public void LoadImm64Source(byte source, bool valid)
    {
        var diagnostics = Check(new Instruction(Opcodes.LoadImm64, 1, source, 0, 1), new Instruction(0, 0, 0, 0, 0), Exit);
        if (valid)
        {
            Assert.Empty(diagnostics);
        }
        else
        {
            Single(diagnostics, DiagnosticCodes.LoadImm64InvalidSource, 0);
        }
    }

    [Theory]
    [InlineData("mov %r0, 0")]
    [InlineData("exit\nmov %r0, 0")]
    [InlineData("exit\njeq %r0, 0, -2")]
    [InlineData("exit\ncall 1")]
    [InlineData("exit\nlddw %r0, 1")]
    public void FallsOffTheEnd(string source)
    {
        var diagnostic = Assert.Single(Check(source));
        Assert.Equal(DiagnosticCodes.FallsOffEnd, diagnostic.Code);
        Assert.Contains("past the end", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ProgramWithoutExit()
    {
        Single(Check("mov %r0, 0\nja -2"), DiagnosticCodes.FallsOffEnd, 1);
        Assert.Empty(Check("ja +1\nexit\nja -2"));
    }

    [Theory]
    [InlineData("call local +5\nexit", 0)]
    [InlineData("call local -2\nexit", 0)]
    public void CallTargetOutOfBounds(string source, int index)
    {
        Single(Check(source), DiagnosticCodes.CallTargetOutOfBounds, index);
    }

    [Theory]
    [InlineData("le16 %r1")]
    [InlineData("be32 %r1")]
    [InlineData("bswap64 %r1")]
    public void EndianWidthsAccepted(string instruction)
    {
        Assert.Empty(Check(instruction + "\nexit"));
    }

    [Theory]
    [InlineData(0xd4, 8)]
    [InlineData(0xdc, 0)]
    [InlineData(0xd7, 128)]
    [InlineData(0xdc, -16)]
    public void InvalidEndianWidth(byte opcode, int width)
    {
        Single(Check(new Instruction(opcode, 1, 0, 0, width), Exit), DiagnosticCodes.InvalidEndianWidth, 0);
    }

    [Theory]
    [InlineData(0xbf, 8, true)]
    [InlineData(0xbf, 16, true)]
    [InlineData(0xbf, 32, true)]
    [InlineData(0xbc, 8, true)]
    [InlineData(0xbc, 16, true)]
    [InlineData(0xbc, 32, false)]
    [InlineData(0xbf, 64, false)]
    [InlineData(0xbf, 1, false)]
    [InlineData(0xbf, -8, false)]
    public void SignExtensionWidth(byte opcode, short width, bool valid)
    {
        var diagnostics = Check(new Instruction(opcode, 1, 2, width, 0), Exit);
        if (valid)
        {
            Assert.Empty(diagnostics);
        }
        else
        {
            Single(diagnostics, DiagnosticCodes.InvalidSignExtendWidth, 0);
        }
    }

    [Theory]
    [InlineData(0x3f, 2)]
    [InlineData(0x37, -1)]
    [InlineData(0x9c, 2)]
    [InlineData(0x94, 256)]
    public void InvalidDivisionOffset(byte opcode, short offset)
    {
        Single(Check(new Instruction(opcode, 1, (byte)((opcode & 0x08) != 0 ? 2 : 0), offset, (opcode & 0x08) != 0 ? 0 : 3), Exit), DiagnosticCodes.InvalidDivisionOffset, 0);
    }

    [Theory]
    [InlineData(0xdb, 0x02)]
    [InlineData(0xdb, 0x10)]
    [InlineData(0xc3, 0xe0)] // xchg without the fetch bit
    [InlineData(0xc3, 0xf0)] // cmpxchg without the fetch bit
    [InlineData(0xdb, -1)]
    [InlineData(0xd3, 0x00)] // atomic on a byte
    [InlineData(0xcb, 0x01)] // atomic on a half word
    public void InvalidAtomicOperation(byte opcode, int imm)
    {
        Single(Check(new Instruction(opcode, 1, 2, 0, imm), Exit), DiagnosticCodes.InvalidAtomicOperation, 0);
    }

    [Theory]
    [InlineData(0x07, 0, 1, 0, 1, "src")] // add64 imm with src
    [InlineData(0x04, 0, 0, 1, 1, "offset")] // add32 imm with offset
    [InlineData(0x0f, 0, 1, 0, 1, "imm")] // add64 reg with imm
    [InlineData(0xb7, 0, 0, 8, 1, "offset")] // mov imm with offset (movsx is register only)
    [InlineData(0x87, 0, 0, 0, 1, "imm")] // neg with imm
    [InlineData(0xd4, 0, 1, 0, 16, "src")] // le with src
    [InlineData(0xdc, 0, 0, 1, 16, "offset")] // be with offset
    [InlineData(0x79, 0, 1, 0, 1, "imm")] // ldxdw with imm
    [InlineData(0x7a, 1, 2, 0, 1, "src")] // stdw with src
    [InlineData(0x63, 1, 2, 0, 1, "imm")] // stxw with imm
    [InlineData(0x15, 0, 1, 0, 0, "src")] // jeq imm with src
    [InlineData(0x2d, 0, 1, 0, 1, "imm")] // jgt reg with imm
    [InlineData(0x05, 1, 0, 0, 0, "dst")] // ja with dst
    [InlineData(0x05, 0, 0, 0, 1, "imm")] // ja with imm
    [InlineData(0x06, 0, 0, 1, 0, "offset")] // gotol with offset
    [InlineData(0x06, 1, 0, 0, 0, "dst")] // gotol with dst
    [InlineData(0x85, 1, 0, 0, 1, "dst")] // call with dst
    [InlineData(0x85, 0, 0, 1, 1, "offset")] // call with offset
    [InlineData(0x8d, 1, 0, 0, 1, "imm")] // callx with imm
    [InlineData(0x8d, 1, 2, 0, 0, "src")] // callx with src
    [InlineData(0x95, 0, 0, 0, 1, "imm")] // exit with imm
    [InlineData(0x95, 0, 1, 0, 0, "src")] // exit with src
    [InlineData(0x18, 1, 0, 1, 0, "offset")] // ld_imm64 with offset
    public void UnusedFieldNotZero(byte opcode, byte dst, byte src, short offset, int imm, string field)
    {
        Instruction[] program = opcode == Opcodes.LoadImm64
            ? [new Instruction(opcode, dst, src, offset, imm), new Instruction(0, 0, 0, 0, 0), Exit]
            : [new Instruction(opcode, dst, src, offset, imm), Exit];
        var diagnostic = Single(ProgramValidator.Validate(program, new ValidationOptions { AllowCallx = true }, "prog"), DiagnosticCodes.UnusedFieldNotZero, 0);
        Assert.Contains(field, diagnostic.Message, StringComparison.Ordinal);
        Assert.Contains("0", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CallxNeedsTheOption()
    {
        var program = Assembler.Assemble("mov %r2, 5\ncall %r2\nexit");
        var diagnostic = Single(ProgramValidator.Validate(program, programName: "prog"), DiagnosticCodes.CallxNotAllowed, 1);
        Assert.Contains("AllowCallx", diagnostic.Message, StringComparison.Ordinal);
        Assert.Empty(ProgramValidator.Validate(program, new ValidationOptions { AllowCallx = true }));
    }

    [Theory]
    [InlineData(-1, false)]
    [InlineData(0, true)]
    [InlineData(211, true)]
    [InlineData(0xffff, true)]
    [InlineData(0x10000, false)]
    public void HelperIdRange(int id, bool valid)
    {
        var diagnostics = Check(new Instruction(Opcodes.Call, 0, 0, 0, id), Exit);
        if (valid)
        {
            Assert.Empty(diagnostics);
        }
        else
        {
            Single(diagnostics, DiagnosticCodes.InvalidHelperId, 0);
        }
        Assert.Empty(ProgramValidator.Validate([new Instruction(Opcodes.Call, 0, 0, 0, 300), Exit], new ValidationOptions { MaxHelperId = 300 }));
    }

    [Fact]
    public void CallSources()
    {
        Single(Check(new Instruction(Opcodes.Call, 0, 3, 0, 1), Exit), DiagnosticCodes.InvalidCallSource, 0);
        Single(Check(new Instruction(Opcodes.Call, 0, 2, 0, 1), Exit), DiagnosticCodes.KernelFunctionCallNotSupported, 0);
        Assert.Empty(ProgramValidator.Validate([new Instruction(Opcodes.Call, 0, 2, 0, 1), Exit], new ValidationOptions { AllowKernelFunctionCalls = true }));
    }

    [Theory]
    [InlineData("jlt %r1, 1, +0", IsaVersion.V2)]
    [InlineData("jsle %r1, %r2, +0", IsaVersion.V2)]
    [InlineData("jeq32 %r1, 1, +0", IsaVersion.V3)]
    [InlineData("lock or [%r1], %r2", IsaVersion.V3)]
    [InlineData("lock fetch add32 [%r1], %r2", IsaVersion.V3)]
    [InlineData("lock cmpxchg [%r1], %r2", IsaVersion.V3)]
    [InlineData("sdiv %r1, %r2", IsaVersion.V4)]
    [InlineData("smod32 %r1, 3", IsaVersion.V4)]
    [InlineData("movsx1664 %r1, %r2", IsaVersion.V4)]
    [InlineData("ldxsh %r1, [%r2]", IsaVersion.V4)]
    [InlineData("bswap32 %r1", IsaVersion.V4)]
    [InlineData("gotol +0", IsaVersion.V4)]
    public void IsaVersionGatesNewerInstructions(string instruction, IsaVersion needed)
    {
        var program = Assembler.Assemble(instruction + "\nexit");
        Assert.Empty(ProgramValidator.Validate(program, new ValidationOptions { IsaVersion = needed }));
        var diagnostic = Single(ProgramValidator.Validate(program, new ValidationOptions { IsaVersion = needed - 1 }, "prog"), DiagnosticCodes.UnknownOpcode, 0);
        Assert.Contains($"ISA v{(int)needed}", diagnostic.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("jgt %r1, 1, +0")]
    [InlineData("lock add [%r1], %r2")]
    [InlineData("lock add32 [%r1], %r2")]
    [InlineData("le64 %r1")]
    [InlineData("div32 %r1, 0")]
    [InlineData("lsh32 %r1, 40")]
    public void BaseInstructionsPassAtVersionOne(string instruction)
    {
        Assert.Empty(ProgramValidator.Validate(Assembler.Assemble(instruction + "\nexit"), new ValidationOptions { IsaVersion = IsaVersion.V1 }));
    }

    [Fact]
    public void EnsureValidThrowsWithEveryDiagnostic()
    {
        Instruction[] program = [new Instruction(0x07, 10, 1, 0, 1), new Instruction(0xff, 0, 0, 0, 0), new Instruction(Opcodes.Ja, 0, 0, 5, 0)];
        var error = Assert.Throws<BpfException>(() => ProgramValidator.EnsureValid(program, programName: "prog"));
        Assert.Equal(
            [DiagnosticCodes.WriteToFramePointer, DiagnosticCodes.UnusedFieldNotZero, DiagnosticCodes.UnknownOpcode, DiagnosticCodes.JumpOutOfBounds, DiagnosticCodes.FallsOffEnd],
            error.Diagnostics.Select(d => d.Code));
        Assert.Equal([0, 0, 1, 2, 2], error.Diagnostics.Select(d => d.InstructionIndex ?? -1));
        Assert.Contains("[prog+1]", error.Diagnostics[2].ToCanonicalString(), StringComparison.Ordinal);
        ProgramValidator.EnsureValid(Assembler.Assemble("exit"));
    }
}
