namespace Bpftime.Linking.Native;

/// <summary>x86-64 relocation types (System V psABI numbering); S symbol, A addend, P place, G GOT slot offset.</summary>
public enum X64RelocationType : uint
{
    None = 0,
    /// <summary>S + A, 64 bits.</summary>
    Absolute64 = 1,
    /// <summary>S + A - P, signed 32 bits.</summary>
    PcRelative32 = 2,
    /// <summary>G + A, signed 32 bits (offset of the GOT slot from the GOT base).</summary>
    Got32 = 3,
    /// <summary>L + A - P, signed 32 bits: a call, through a stub when the target is out of reach.</summary>
    Plt32 = 4,
    /// <summary>G + GOT + A - P, signed 32 bits.</summary>
    GotPcRelative = 9,
    /// <summary>S + A, zero-extended 32 bits.</summary>
    Absolute32 = 10,
    /// <summary>S + A, sign-extended 32 bits.</summary>
    Absolute32Signed = 11,
    /// <summary>S + A - P, 64 bits.</summary>
    PcRelative64 = 24,
    /// <summary>S + A - GOT, 64 bits.</summary>
    GotOffset64 = 25,
    /// <summary>GOT + A - P, signed 32 bits.</summary>
    GotPc32 = 26,
    /// <summary>G + A, 64 bits.</summary>
    Got64 = 27,
    /// <summary>GOT + A - P, 64 bits.</summary>
    GotPc64 = 29,
    /// <summary>Like <see cref="GotPcRelative"/>, relaxable (we keep the GOT load).</summary>
    GotPcRelativeRelaxable = 41,
    /// <summary>Like <see cref="GotPcRelative"/> with a REX prefix, relaxable (we keep the GOT load).</summary>
    RexGotPcRelativeRelaxable = 42,
}
