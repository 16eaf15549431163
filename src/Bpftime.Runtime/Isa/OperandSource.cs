namespace Bpftime.Isa;

/// <summary>Bit 3 of an arithmetic or jump opcode: the second operand is the immediate or src.</summary>
public enum OperandSource : byte
{
    Immediate = 0x00,
    Register = 0x08,
}
