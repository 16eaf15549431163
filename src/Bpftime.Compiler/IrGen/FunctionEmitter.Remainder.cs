using Bpftime.Isa;

namespace Bpftime.Compiler.IrGen;

internal sealed partial class FunctionEmitter
{
    /// <summary>
    /// Whether the subtraction at <paramref name="pc"/> ends clang's lowering of a remainder for eBPF:
    /// <c>a = n; a /= d; a *= d; b = n; b -= a</c>, all of one width, with no jump landing after the
    /// first of them. Then b is n mod d with eBPF's rules for every d (d = 0: a is 0 and b is n; signed
    /// d = -1: a is n and b is 0), so <paramref name="remainder"/> is the mod that computes b directly.
    /// Our division's zero-divisor selects hide the identity n - (n / d) * d from LLVM, which then keeps
    /// a multiply and a subtraction on the loop's chain where a divide already gives the remainder.
    /// </summary>
    private bool IsRemainderIdiom(int pc, out Instruction remainder)
    {
        remainder = default;
        if (pc - 4 < _entry)
        {
            return false;
        }
        var copy = Code[pc - 4];
        var divide = Code[pc - 3];
        var multiply = Code[pc - 2];
        var copyAgain = Code[pc - 1];
        var subtract = Code[pc];
        var a = divide.Dst;
        var d = divide.Src;
        var n = copy.Src;
        var b = subtract.Dst;
        var matches =
            IsRegisterAlu(copy, subtract.Class, AluOperation.Mov) && copy.Offset == 0 && copy.Dst == a
            && IsRegisterAlu(divide, subtract.Class, AluOperation.Div) && divide.Offset is 0 or 1
            && IsRegisterAlu(multiply, subtract.Class, AluOperation.Mul) && multiply.Dst == a && multiply.Src == d
            && IsRegisterAlu(copyAgain, subtract.Class, AluOperation.Mov) && copyAgain.Offset == 0
            && copyAgain.Dst == b && copyAgain.Src == n
            && IsRegisterAlu(subtract, subtract.Class, AluOperation.Sub) && subtract.Src == a
            // a must not alias what it is computed from, and b must not overwrite the divisor before
            // the remainder reads it.
            && a != n && a != d && b != a && b != d;
        if (!matches)
        {
            return false;
        }
        for (var inside = pc - 3; inside <= pc; inside++)
        {
            if (_program.Layout.IsLeader(inside))
            {
                return false;
            }
        }
        remainder = new Instruction((byte)((divide.Opcode & 0x0f) | (byte)AluOperation.Mod), b, d, divide.Offset, 0);
        return true;
    }

    private static bool IsRegisterAlu(Instruction insn, InstructionClass width, AluOperation operation) =>
        insn.Class == width && insn.Source == OperandSource.Register && insn.AluOperation == operation;
}
