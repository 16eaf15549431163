using Bpftime.Diagnostics;
using Bpftime.Isa;

namespace Bpftime.Tests.Isa;

/// <summary>ld_abs and ld_ind are RFC 9669 instructions; the validator checks their fields as Linux does.</summary>
public class LegacyPacketValidationTests
{
    private static readonly Instruction Exit = new(Opcodes.Exit, 0, 0, 0, 0);

    private static IReadOnlyList<BpfDiagnostic> Check(Instruction insn) =>
        ProgramValidator.Validate([new Instruction(0xbf, 6, 1, 0, 0), insn, Exit]).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();

    [Theory]
    [InlineData(0x20, 0, 14)]   // ld_abs w
    [InlineData(0x28, 0, 12)]   // ld_abs h
    [InlineData(0x30, 0, 23)]   // ld_abs b
    [InlineData(0x40, 7, 0)]    // ld_ind w
    [InlineData(0x48, 2, -4)]   // ld_ind h
    [InlineData(0x50, 0, 9)]    // ld_ind b
    public void WellFormedLegacyLoadsAreInstructions(byte opcode, byte src, int imm)
    {
        var insn = new Instruction(opcode, 0, src, 0, imm);
        Assert.True(ProgramValidator.IsLegacyPacketLoad(insn));
        Assert.Empty(Check(insn));
    }

    [Theory]
    [InlineData(0x38)] // ld_abs dw: not an instruction
    [InlineData(0x58)] // ld_ind dw
    public void DoubleWordFormsAreUnknown(byte opcode)
    {
        var insn = new Instruction(opcode, 0, 0, 0, 0);
        Assert.False(ProgramValidator.IsLegacyPacketLoad(insn));
        Assert.Equal(DiagnosticCodes.UnknownOpcode, Assert.Single(Check(insn)).Code);
    }

    [Theory]
    [InlineData(0x30, 1, 0, 0)]   // dst must be 0
    [InlineData(0x30, 0, 0, 4)]   // offset must be 0
    [InlineData(0x30, 0, 3, 0)]   // ld_abs takes no src
    [InlineData(0x50, 2, 3, 0)]   // ld_ind: dst still 0
    public void ReservedFieldsMustBeZero(byte opcode, byte dst, byte src, short offset)
    {
        var error = Assert.Single(Check(new Instruction(opcode, dst, src, offset, 0)));
        Assert.Equal(DiagnosticCodes.UnusedFieldNotZero, error.Code);
        Assert.Equal(1, error.InstructionIndex);
    }

    [Fact]
    public void LdIndNamesARealRegister() =>
        Assert.Equal(DiagnosticCodes.InvalidRegister, Assert.Single(Check(new Instruction(0x50, 0, 12, 0, 0))).Code);
}
