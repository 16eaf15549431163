namespace Bpftime.Isa;

/// <summary>The four high bits of an ALU or ALU64 opcode.</summary>
public enum AluOperation : byte
{
    Add = 0x00,
    Sub = 0x10,
    Mul = 0x20,
    /// <summary>Unsigned division when offset is 0, signed (sdiv) when offset is 1.</summary>
    Div = 0x30,
    Or = 0x40,
    And = 0x50,
    Lsh = 0x60,
    Rsh = 0x70,
    Neg = 0x80,
    /// <summary>Unsigned modulo when offset is 0, signed (smod) when offset is 1.</summary>
    Mod = 0x90,
    Xor = 0xa0,
    /// <summary>Plain move when offset is 0; movsx (sign extension from 8, 16 or 32 bits) otherwise.</summary>
    Mov = 0xb0,
    Arsh = 0xc0,
    /// <summary>Byte swap: to little or big endian (ALU, source bit), or unconditional bswap (ALU64).</summary>
    End = 0xd0,
}
