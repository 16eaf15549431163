namespace Bpftime.Isa;

/// <summary>The four high bits of a JMP or JMP32 opcode.</summary>
public enum JumpOperation : byte
{
    /// <summary>Unconditional jump; in JMP32 this is gotol with the 32-bit immediate as offset.</summary>
    Ja = 0x00,
    Jeq = 0x10,
    Jgt = 0x20,
    Jge = 0x30,
    Jset = 0x40,
    Jne = 0x50,
    Jsgt = 0x60,
    Jsge = 0x70,
    /// <summary>Helper call (src 0), local call (src 1), helper by BTF id (src 2), or callx (source bit set).</summary>
    Call = 0x80,
    Exit = 0x90,
    Jlt = 0xa0,
    Jle = 0xb0,
    Jslt = 0xc0,
    Jsle = 0xd0,
}
