namespace Bpftime.Engines.X64;

/// <summary>The ModRM reg field of the shift group (0xC1, 0xD1, 0xD3).</summary>
public enum X64ShiftOperation : byte
{
    Rol = 0,
    Ror = 1,
    Shl = 4,
    Shr = 5,
    Sar = 7,
}
