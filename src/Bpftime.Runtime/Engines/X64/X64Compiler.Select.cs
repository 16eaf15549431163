using Bpftime.Isa;

namespace Bpftime.Engines.X64;

/// <summary>
/// Conditional assignments without a branch. Compilers leave two shapes for <c>x = c ? x : f(x)</c>:
/// <code>
///   if cond goto +1; X               (X runs when the jump is not taken)
///   if cond goto L;  X; goto L       (the same, then both ways go on at L)
/// </code>
/// where X is one ALU instruction that cannot fault (add, sub, or, and, xor, mov, a shift by a
/// constant) and nothing else jumps to X (nor, in the second shape, to the goto). X is computed into
/// r11 first, the compare follows, and a cmov with the opposite condition keeps the result: a branch
/// the data make unpredictable (log2 over random values) then costs nothing.
///
/// Budget: when the second shape jumps backwards, each way spent one unit at its own jump; the
/// selected code spends one unit too. With none left, the original two jumps run out of line, so the
/// fault names the instruction the interpreter names.
/// </summary>
internal sealed partial class X64Compiler
{
    /// <summary>Out-of-line copies of backward selects, taken when the budget is spent (see <see cref="EmitSelectBudgetPaths"/>).</summary>
    private readonly List<(X64Label Entry, int Index)> _selectBudgetPaths = [];

    /// <summary>Emits instructions <paramref name="i"/>.. as a select when they have one of the shapes; returns how many it took (0: none).</summary>
    private int TryEmitSelect(int i)
    {
        if (i + 2 >= _code.Length || !IsConditionalJump(_code[i]) || _isJumpTarget[i + 1] || !CanSelect(_code[i + 1]))
        {
            return 0;
        }
        var jump = _code[i];
        var assign = _code[i + 1];
        var target = i + 1 + jump.Offset;
        var taken = target == i + 2 ? 2 : 0;
        if (taken == 0)
        {
            var skip = _code[i + 2];
            if (skip.Opcode != Opcodes.Ja || _isJumpTarget[i + 2] || i + 3 + skip.Offset != target)
            {
                return 0;
            }
            taken = 3;
        }
        var spends = taken == 3 && target <= i && _countsBudget;
        if (spends)
        {
            var exhausted = _asm.CreateLabel();
            _asm.MoveFromXmm(Scratch2, BudgetXmm);
            _asm.Test(X64Width.Qword, Scratch2, Scratch2);
            _asm.Jcc(X64Condition.Equal, exhausted);
            _selectBudgetPaths.Add((exhausted, i));
        }
        ComputeSelected(assign);
        var condition = EmitCompare(jump, i);
        // X runs where the jump is not taken.
        _asm.Cmov((X64Condition)((byte)condition ^ 1), X64Width.Qword, Host(assign.Dst), Scratch);
        if (spends)
        {
            _asm.AddQuadwordsXmm(BudgetXmm, MinusOneXmm);
        }
        if (taken == 3 && target != i + 3)
        {
            _asm.Jmp(_instructionLabels[target]);
        }
        return taken;
    }

    /// <summary>The x86 operation of eBPF add, sub, or, and (xor for anything else).</summary>
    private static X64AluOperation BitwiseOrAdditive(AluOperation op) => op switch
    {
        AluOperation.Add => X64AluOperation.Add,
        AluOperation.Sub => X64AluOperation.Sub,
        AluOperation.Or => X64AluOperation.Or,
        AluOperation.And => X64AluOperation.And,
        _ => X64AluOperation.Xor,
    };

    /// <summary>The x86 shift of eBPF lsh, rsh (arsh for anything else).</summary>
    private static X64ShiftOperation ShiftOf(AluOperation op) => op switch
    {
        AluOperation.Lsh => X64ShiftOperation.Shl,
        AluOperation.Rsh => X64ShiftOperation.Shr,
        _ => X64ShiftOperation.Sar,
    };

    /// <summary>A shift by the constant eBPF masks to 6 bits (5 in ALU32); a count of 0 in ALU32 still zero-extends.</summary>
    private void ShiftByConstant(X64ShiftOperation shift, bool is64, X64Register reg, int imm)
    {
        var count = (byte)(imm & (is64 ? 63 : 31));
        if (count != 0)
        {
            _asm.Shift(shift, is64 ? X64Width.Qword : X64Width.Dword, reg, count);
        }
        else if (!is64)
        {
            _asm.Mov(X64Width.Dword, reg, reg);
        }
    }

    private static bool IsConditionalJump(Instruction insn) =>
        insn.Class is InstructionClass.Jmp or InstructionClass.Jmp32
        && insn.JumpOperation is JumpOperation.Jeq or JumpOperation.Jne or JumpOperation.Jset or JumpOperation.Jgt
            or JumpOperation.Jge or JumpOperation.Jlt or JumpOperation.Jle or JumpOperation.Jsgt or JumpOperation.Jsge
            or JumpOperation.Jslt or JumpOperation.Jsle;

    /// <summary>One ALU instruction with no fault, no flags read and no rcx: what a select can compute ahead.</summary>
    private static bool CanSelect(Instruction insn)
    {
        if (insn.Class is not (InstructionClass.Alu or InstructionClass.Alu64) || insn.Dst >= 10 || insn.Offset != 0)
        {
            return false;
        }
        return insn.AluOperation switch
        {
            AluOperation.Add or AluOperation.Sub or AluOperation.Or or AluOperation.And or AluOperation.Xor or AluOperation.Mov => true,
            AluOperation.Lsh or AluOperation.Rsh or AluOperation.Arsh => insn.Source == OperandSource.Immediate,
            _ => false,
        };
    }

    /// <summary>r11 = what <paramref name="insn"/> would leave in its destination (as <see cref="EmitAlu"/> computes it); the destination is untouched.</summary>
    private void ComputeSelected(Instruction insn)
    {
        var is64 = insn.Class == InstructionClass.Alu64;
        var width = is64 ? X64Width.Qword : X64Width.Dword;
        var immediate = insn.Source == OperandSource.Immediate;
        var op = insn.AluOperation;
        if (op == AluOperation.Mov)
        {
            if (immediate)
            {
                _asm.MovImmediate(Scratch, is64 ? insn.Imm : (uint)insn.Imm);
            }
            else
            {
                _asm.Mov(width, Scratch, Host(insn.Src));
            }
            return;
        }
        _asm.Mov(X64Width.Qword, Scratch, Host(insn.Dst));
        if (op is AluOperation.Lsh or AluOperation.Rsh or AluOperation.Arsh)
        {
            ShiftByConstant(ShiftOf(op), is64, Scratch, insn.Imm);
            return;
        }
        var x64op = BitwiseOrAdditive(op);
        if (immediate)
        {
            _asm.Alu(x64op, width, Scratch, insn.Imm);
        }
        else
        {
            // The source is read as it was (X itself sees dst before it changes, also when src is dst).
            _asm.Alu(x64op, width, Scratch, Host(insn.Src));
        }
    }

    /// <summary>
    /// Each backward select with the budget spent: its three instructions as plain jumps, which fault
    /// at whichever jump the run takes (the jump itself or the goto after X), as the interpreter does.
    /// </summary>
    private void EmitSelectBudgetPaths()
    {
        foreach (var (entry, index) in _selectBudgetPaths)
        {
            _asm.Bind(entry);
            EmitInstruction(index);
            EmitInstruction(index + 1);
            EmitInstruction(index + 2);
        }
    }
}
