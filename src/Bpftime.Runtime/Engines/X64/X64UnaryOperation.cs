namespace Bpftime.Engines.X64;

/// <summary>The ModRM reg field of group 3 (0xF7): one-operand arithmetic.</summary>
public enum X64UnaryOperation : byte
{
    Not = 2,
    Neg = 3,
    Mul = 4,
    Imul = 5,
    Div = 6,
    Idiv = 7,
}
