namespace Bpftime.Isa;

/// <summary>The three high bits of a load or store opcode.</summary>
public enum MemoryMode : byte
{
    /// <summary>With class LD and size DW: the two-slot ld_imm64.</summary>
    Imm = 0x00,
    /// <summary>Legacy packet access (cBPF carry-over).</summary>
    Abs = 0x20,
    /// <summary>Legacy packet access (cBPF carry-over).</summary>
    Ind = 0x40,
    Mem = 0x60,
    /// <summary>Sign-extending load (ldsx), class LDX only.</summary>
    MemSx = 0x80,
    Atomic = 0xc0,
}
