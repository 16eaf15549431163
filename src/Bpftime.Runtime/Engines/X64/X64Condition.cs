namespace Bpftime.Engines.X64;

/// <summary>The condition nibble of Jcc (0x70+cc short, 0x0F 0x80+cc near).</summary>
public enum X64Condition : byte
{
    Overflow = 0x0,
    Below = 0x2,
    AboveOrEqual = 0x3,
    Equal = 0x4,
    NotEqual = 0x5,
    BelowOrEqual = 0x6,
    Above = 0x7,
    Less = 0xc,
    GreaterOrEqual = 0xd,
    LessOrEqual = 0xe,
    Greater = 0xf,
}
