namespace Bpftime.Engines.X64;

/// <summary>Operand width of an integer instruction.</summary>
public enum X64Width : byte
{
    Byte = 1,
    Word = 2,
    Dword = 4,
    Qword = 8,
}
