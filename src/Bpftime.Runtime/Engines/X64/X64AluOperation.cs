namespace Bpftime.Engines.X64;

/// <summary>The eight "group 1" operations: the ModRM reg field of 0x81/0x83 and bits 3-5 of the register forms.</summary>
public enum X64AluOperation : byte
{
    Add = 0,
    Or = 1,
    Adc = 2,
    Sbb = 3,
    And = 4,
    Sub = 5,
    Xor = 6,
    Cmp = 7,
}
