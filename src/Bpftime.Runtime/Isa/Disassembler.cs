using System.Globalization;
using System.Text;

namespace Bpftime.Isa;

/// <summary>Writes instructions as text, in llvm-objdump's syntax or in the assembler's own dialect.</summary>
public static class Disassembler
{
    private const string Unknown = "<unknown>";

    /// <summary>
    /// One instruction. For ld_imm64 pass the second slot as <paramref name="next"/>; without it the
    /// instruction is shown as truncated.
    /// </summary>
    public static string Disassemble(Instruction instruction, Instruction? next = null, DisassemblySyntax syntax = DisassemblySyntax.Llvm)
    {
        var text = new StringBuilder(40);
        Append(text, instruction, next, syntax);
        return text.ToString();
    }

    /// <summary>
    /// A whole program, one line per instruction (ld_imm64 takes one line for its two slots). In
    /// <see cref="DisassemblySyntax.Llvm"/> each line starts with the slot index as llvm-objdump does
    /// (<c>   3:\tr0 = 1</c>); in <see cref="DisassemblySyntax.Conformance"/> the index is a trailing
    /// comment so that the text still assembles. <paramref name="withIndex"/> false leaves it out.
    /// </summary>
    public static string Disassemble(ReadOnlySpan<Instruction> program, DisassemblySyntax syntax = DisassemblySyntax.Llvm, bool withIndex = true)
    {
        var text = new StringBuilder(program.Length * 32);
        for (var i = 0; i < program.Length; i++)
        {
            var hasNext = program[i].IsLoadImm64 && i + 1 < program.Length;
            if (withIndex && syntax == DisassemblySyntax.Llvm)
            {
                text.Append(i.ToString(CultureInfo.InvariantCulture).PadLeft(6)).Append(":\t");
            }
            var start = text.Length;
            Append(text, program[i], hasNext ? program[i + 1] : null, syntax);
            if (withIndex && syntax == DisassemblySyntax.Conformance)
            {
                text.Append(' ', Math.Max(1, 40 - (text.Length - start))).Append("# ").Append(i.ToString(CultureInfo.InvariantCulture));
            }
            text.Append('\n');
            if (hasNext)
            {
                i++;
            }
        }
        return text.ToString();
    }

    /// <summary>Appends one instruction (and its second slot for ld_imm64) to <paramref name="text"/>.</summary>
    public static void Append(StringBuilder text, Instruction instruction, Instruction? next, DisassemblySyntax syntax)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (syntax == DisassemblySyntax.Conformance)
        {
            AppendConformance(text, instruction, next);
        }
        else
        {
            AppendLlvm(text, instruction, next);
        }
    }

    // ---- llvm-objdump ----

    private static void AppendLlvm(StringBuilder text, Instruction insn, Instruction? next)
    {
        var d = insn.Dst;
        var s = insn.Src;
        switch (insn.Class)
        {
            case InstructionClass.Alu:
            case InstructionClass.Alu64:
                {
                    var w = insn.Class == InstructionClass.Alu64 ? 'r' : 'w';
                    var register = insn.Source == OperandSource.Register;
                    switch (insn.AluOperation)
                    {
                        case AluOperation.End:
                            if (insn.Class == InstructionClass.Alu)
                            {
                                // LLVM names the 64-bit register whatever the class: the result is zero-extended anyway.
                                text.Append('r').Append(d).Append(" = ").Append(register ? "be" : "le").Append(insn.Imm).Append(" r").Append(d);
                            }
                            else if (!register)
                            {
                                text.Append('r').Append(d).Append(" = bswap").Append(insn.Imm).Append(" r").Append(d);
                            }
                            else
                            {
                                text.Append(Unknown);
                            }
                            return;
                        case AluOperation.Neg:
                            if (register)
                            {
                                text.Append(Unknown);
                            }
                            else
                            {
                                text.Append(w).Append(d).Append(" = -").Append(w).Append(d);
                            }
                            return;
                        case AluOperation.Mov when register && insn.Offset != 0:
                            text.Append(w).Append(d).Append(" = (s").Append(insn.Offset).Append(')').Append(w).Append(s);
                            return;
                    }
                    var aluOperator = AluOperator(insn.AluOperation);
                    if (aluOperator is null)
                    {
                        text.Append(Unknown);
                        return;
                    }
                    var signed = insn.Offset == 1 && insn.AluOperation is AluOperation.Div or AluOperation.Mod;
                    text.Append(w).Append(d).Append(' ').Append(signed ? "s" : "").Append(aluOperator).Append(' ');
                    if (register)
                    {
                        text.Append(w).Append(s);
                    }
                    else
                    {
                        text.Append(insn.Imm);
                    }
                    return;
                }
            case InstructionClass.Jmp:
            case InstructionClass.Jmp32:
                {
                    var jmp32 = insn.Class == InstructionClass.Jmp32;
                    var register = insn.Source == OperandSource.Register;
                    switch (insn.JumpOperation)
                    {
                        case JumpOperation.Ja when !register:
                            if (jmp32)
                            {
                                AppendSigned(text.Append("gotol "), insn.Imm);
                            }
                            else
                            {
                                AppendSigned(text.Append("goto "), insn.Offset);
                            }
                            return;
                        case JumpOperation.Call when !jmp32:
                            if (register)
                            {
                                // RFC 9669 and the conformance suite put callx's register in dst (LLVM 14 read it from imm).
                                text.Append("callx r").Append(d);
                            }
                            else
                            {
                                text.Append("call ").Append(insn.Imm);
                            }
                            return;
                        case JumpOperation.Exit when !jmp32 && !register:
                            text.Append("exit");
                            return;
                        case JumpOperation.Ja or JumpOperation.Call or JumpOperation.Exit:
                            text.Append(Unknown);
                            return;
                    }
                    var operation = JumpOperator(insn.JumpOperation);
                    if (operation is null)
                    {
                        text.Append(Unknown);
                        return;
                    }
                    var w = jmp32 ? 'w' : 'r';
                    text.Append("if ").Append(w).Append(d).Append(' ').Append(operation).Append(' ');
                    if (register)
                    {
                        text.Append(w).Append(s);
                    }
                    else
                    {
                        text.Append(insn.Imm);
                    }
                    AppendSigned(text.Append(" goto "), insn.Offset);
                    return;
                }
            case InstructionClass.Ldx:
                if (insn.MemoryMode == MemoryMode.Mem || (insn.MemoryMode == MemoryMode.MemSx && insn.MemorySize != MemorySize.DoubleWord))
                {
                    text.Append('r').Append(d).Append(" = ");
                    AppendLlvmAddress(text, insn.MemoryMode == MemoryMode.MemSx ? 's' : 'u', insn.MemorySize, s, insn.Offset);
                }
                else
                {
                    text.Append(Unknown);
                }
                return;
            case InstructionClass.St:
                if (insn.MemoryMode != MemoryMode.Mem)
                {
                    text.Append(Unknown);
                    return;
                }
                AppendLlvmAddress(text, 'u', insn.MemorySize, d, insn.Offset);
                text.Append(" = ").Append(insn.Imm);
                return;
            case InstructionClass.Stx:
                if (insn.MemoryMode == MemoryMode.Mem)
                {
                    AppendLlvmAddress(text, 'u', insn.MemorySize, d, insn.Offset);
                    text.Append(" = r").Append(s);
                }
                else if (insn.MemoryMode == MemoryMode.Atomic && insn.MemorySize is MemorySize.Word or MemorySize.DoubleWord)
                {
                    AppendLlvmAtomic(text, insn);
                }
                else
                {
                    text.Append(Unknown);
                }
                return;
            default: // Ld
                if (insn.IsLoadImm64)
                {
                    if (next is not { } second)
                    {
                        text.Append(Unknown);
                    }
                    else if (s == 0)
                    {
                        text.Append('r').Append(d).Append(" = ").Append(insn.Imm64With(second)).Append(" ll");
                    }
                    else
                    {
                        text.Append("ld_pseudo\tr").Append(d).Append(", ").Append(s).Append(", ").Append(insn.Imm);
                    }
                }
                else if (insn.MemoryMode is MemoryMode.Abs or MemoryMode.Ind && insn.MemorySize != MemorySize.DoubleWord)
                {
                    text.Append("r0 = *(u").Append(insn.MemorySize.ByteCount() * 8).Append(" *)skb[");
                    if (insn.MemoryMode == MemoryMode.Abs)
                    {
                        text.Append(insn.Imm);
                    }
                    else
                    {
                        text.Append('r').Append(s);
                    }
                    text.Append(']');
                }
                else
                {
                    text.Append(Unknown);
                }
                return;
        }
    }

    private static void AppendLlvmAtomic(StringBuilder text, Instruction insn)
    {
        var wide = insn.MemorySize == MemorySize.DoubleWord;
        var bits = wide ? "64" : "32";
        var w = wide ? 'r' : 'w';
        var d = insn.Dst;
        var s = insn.Src;
        var operation = insn.Imm;
        switch (operation)
        {
            case (int)AtomicOperation.Xchg:
                text.Append(w).Append(s).Append(" = xchg").Append(wide ? "" : "32").Append('_').Append(bits).Append("(r").Append(d);
                AppendOffset(text, insn.Offset).Append(", ").Append(w).Append(s).Append(')');
                return;
            case (int)AtomicOperation.CmpXchg:
                text.Append(w).Append("0 = cmpxchg").Append(wide ? "" : "32").Append('_').Append(bits).Append("(r").Append(d);
                AppendOffset(text, insn.Offset).Append(", ").Append(w).Append("0, ").Append(w).Append(s).Append(')');
                return;
        }
        var name = (operation & ~(int)AtomicOperation.Fetch) switch
        {
            (int)AtomicOperation.Add => "add",
            (int)AtomicOperation.Or => "or",
            (int)AtomicOperation.And => "and",
            (int)AtomicOperation.Xor => "xor",
            _ => null,
        };
        if (name is null)
        {
            text.Append(Unknown);
            return;
        }
        if ((operation & (int)AtomicOperation.Fetch) != 0)
        {
            text.Append(w).Append(s).Append(" = atomic_fetch_").Append(name).Append("((u").Append(bits).Append(" *)(r").Append(d);
            AppendOffset(text, insn.Offset).Append("), ").Append(w).Append(s).Append(')');
            return;
        }
        // LLVM 14's default decoding shows the 32-bit add with an r register and the others with w (they need alu32).
        var source = wide || operation == (int)AtomicOperation.Add ? 'r' : 'w';
        text.Append("lock ");
        AppendLlvmAddress(text, 'u', insn.MemorySize, d, insn.Offset);
        text.Append(' ').Append(AluOperator((AluOperation)operation)).Append(' ').Append(source).Append(s);
    }

    private static void AppendLlvmAddress(StringBuilder text, char sign, MemorySize size, byte register, short offset)
    {
        text.Append("*(").Append(sign).Append(size.ByteCount() * 8).Append(" *)(r").Append(register);
        AppendOffset(text, offset).Append(')');
    }

    private static StringBuilder AppendOffset(StringBuilder text, short offset) =>
        offset < 0 ? text.Append(" - ").Append(-offset) : text.Append(" + ").Append(offset);

    private static void AppendSigned(StringBuilder text, int value)
    {
        if (value >= 0)
        {
            text.Append('+');
        }
        text.Append(value);
    }

    private static string? AluOperator(AluOperation operation) => operation switch
    {
        AluOperation.Add => "+=",
        AluOperation.Sub => "-=",
        AluOperation.Mul => "*=",
        AluOperation.Div => "/=",
        AluOperation.Or => "|=",
        AluOperation.And => "&=",
        AluOperation.Lsh => "<<=",
        AluOperation.Rsh => ">>=",
        AluOperation.Mod => "%=",
        AluOperation.Xor => "^=",
        AluOperation.Mov => "=",
        AluOperation.Arsh => "s>>=",
        _ => null,
    };

    private static string? JumpOperator(JumpOperation operation) => operation switch
    {
        JumpOperation.Jeq => "==",
        JumpOperation.Jgt => ">",
        JumpOperation.Jge => ">=",
        JumpOperation.Jset => "&",
        JumpOperation.Jne => "!=",
        JumpOperation.Jsgt => "s>",
        JumpOperation.Jsge => "s>=",
        JumpOperation.Jlt => "<",
        JumpOperation.Jle => "<=",
        JumpOperation.Jslt => "s<",
        JumpOperation.Jsle => "s<=",
        _ => null,
    };

    // ---- the assembler's dialect ----

    private static void AppendConformance(StringBuilder text, Instruction insn, Instruction? next)
    {
        var start = text.Length;
        if (insn.Dst > 10 || insn.Src > 10 || !TryAppendConformance(text, insn, next))
        {
            text.Length = start;
            AppendRaw(text, insn);
            if (insn.IsLoadImm64 && next is { } second)
            {
                AppendRaw(text.Append('\n'), second);
            }
        }
    }

    private static void AppendRaw(StringBuilder text, Instruction insn) =>
        text.Append(".raw 0x").Append(insn.ToUInt64().ToString("x16", CultureInfo.InvariantCulture));

    /// <summary>Writes the dialect's spelling when the instruction is exactly what the assembler makes of it; false otherwise.</summary>
    private static bool TryAppendConformance(StringBuilder text, Instruction insn, Instruction? next)
    {
        var d = insn.Dst;
        var s = insn.Src;
        var register = insn.Source == OperandSource.Register;
        switch (insn.Class)
        {
            case InstructionClass.Alu:
            case InstructionClass.Alu64:
                {
                    var alu32 = insn.Class == InstructionClass.Alu;
                    switch (insn.AluOperation)
                    {
                        case AluOperation.End:
                            if (s != 0 || insn.Offset != 0 || insn.Imm is not (16 or 32 or 64) || (!alu32 && register))
                            {
                                return false;
                            }
                            text.Append(alu32 ? (register ? "be" : "le") : "bswap").Append(insn.Imm).Append(" %r").Append(d);
                            return true;
                        case AluOperation.Neg:
                            if (register || s != 0 || insn.Offset != 0 || insn.Imm != 0)
                            {
                                return false;
                            }
                            text.Append(alu32 ? "neg32 %r" : "neg %r").Append(d);
                            return true;
                        case AluOperation.Mov when insn.Offset != 0:
                            if (!register || insn.Imm != 0 || insn.Offset is not (8 or 16 or 32) || (alu32 && insn.Offset == 32))
                            {
                                return false;
                            }
                            text.Append("movsx").Append(insn.Offset).Append(alu32 ? "32" : "64").Append(" %r").Append(d).Append(", %r").Append(s);
                            return true;
                    }
                    string? name = null;
                    foreach (var (mnemonic, operation, offset) in Mnemonics.Alu)
                    {
                        if (operation == insn.AluOperation && offset == insn.Offset)
                        {
                            name = mnemonic;
                            break;
                        }
                    }
                    if (name is null || (register ? insn.Imm != 0 : s != 0))
                    {
                        return false;
                    }
                    text.Append(name).Append(alu32 ? "32" : "").Append(" %r").Append(d).Append(", ");
                    if (register)
                    {
                        text.Append("%r").Append(s);
                    }
                    else
                    {
                        AppendImmediate(text, insn.Imm);
                    }
                    return true;
                }
            case InstructionClass.Jmp:
            case InstructionClass.Jmp32:
                {
                    var jmp32 = insn.Class == InstructionClass.Jmp32;
                    switch (insn.JumpOperation)
                    {
                        case JumpOperation.Ja:
                            if (register || d != 0 || s != 0 || (jmp32 ? insn.Offset != 0 : insn.Imm != 0))
                            {
                                return false;
                            }
                            if (jmp32)
                            {
                                AppendSigned(text.Append("ja32 "), insn.Imm);
                            }
                            else
                            {
                                AppendSigned(text.Append("ja "), insn.Offset);
                            }
                            return true;
                        case JumpOperation.Exit:
                            if (jmp32 || register || insn != new Instruction(Opcodes.Exit, 0, 0, 0, 0))
                            {
                                return false;
                            }
                            text.Append("exit");
                            return true;
                        case JumpOperation.Call:
                            if (jmp32 || insn.Offset != 0)
                            {
                                return false;
                            }
                            if (register)
                            {
                                if (s != 0 || insn.Imm != 0)
                                {
                                    return false;
                                }
                                text.Append("call %r").Append(d);
                                return true;
                            }
                            if (d != 0)
                            {
                                return false;
                            }
                            switch ((CallSource)s)
                            {
                                case CallSource.Helper:
                                    text.Append("call ").Append(insn.Imm);
                                    return true;
                                case CallSource.Local:
                                    AppendSigned(text.Append("call local "), insn.Imm);
                                    return true;
                                case CallSource.KernelFunction:
                                    text.Append("call runtime ").Append(insn.Imm);
                                    return true;
                                default:
                                    return false;
                            }
                    }
                    string? name = null;
                    foreach (var (mnemonic, operation) in Mnemonics.Jump)
                    {
                        if (operation == insn.JumpOperation)
                        {
                            name = mnemonic;
                            break;
                        }
                    }
                    if (name is null || (register ? insn.Imm != 0 : s != 0))
                    {
                        return false;
                    }
                    text.Append(name).Append(jmp32 ? "32" : "").Append(" %r").Append(d).Append(", ");
                    if (register)
                    {
                        text.Append("%r").Append(s);
                    }
                    else
                    {
                        AppendImmediate(text, insn.Imm);
                    }
                    AppendSigned(text.Append(", "), insn.Offset);
                    return true;
                }
            case InstructionClass.Ldx:
                if (insn.Imm != 0 || !(insn.MemoryMode == MemoryMode.Mem || (insn.MemoryMode == MemoryMode.MemSx && insn.MemorySize != MemorySize.DoubleWord)))
                {
                    return false;
                }
                text.Append(insn.MemoryMode == MemoryMode.MemSx ? "ldxs" : "ldx").Append(SizeSuffix(insn.MemorySize)).Append(" %r").Append(d).Append(", ");
                AppendMemory(text, s, insn.Offset);
                return true;
            case InstructionClass.St:
                if (insn.MemoryMode != MemoryMode.Mem || s != 0)
                {
                    return false;
                }
                text.Append("st").Append(SizeSuffix(insn.MemorySize)).Append(' ');
                AppendMemory(text, d, insn.Offset);
                AppendImmediate(text.Append(", "), insn.Imm);
                return true;
            case InstructionClass.Stx:
                if (insn.MemoryMode == MemoryMode.Mem)
                {
                    if (insn.Imm != 0)
                    {
                        return false;
                    }
                    text.Append("stx").Append(SizeSuffix(insn.MemorySize)).Append(' ');
                }
                else if (insn.MemoryMode == MemoryMode.Atomic && insn.MemorySize is MemorySize.Word or MemorySize.DoubleWord)
                {
                    var name = insn.Imm switch
                    {
                        (int)AtomicOperation.Add => "add",
                        (int)AtomicOperation.Or => "or",
                        (int)AtomicOperation.And => "and",
                        (int)AtomicOperation.Xor => "xor",
                        (int)AtomicOperation.FetchAdd => "fetch add",
                        (int)AtomicOperation.FetchOr => "fetch or",
                        (int)AtomicOperation.FetchAnd => "fetch and",
                        (int)AtomicOperation.FetchXor => "fetch xor",
                        (int)AtomicOperation.Xchg => "xchg",
                        (int)AtomicOperation.CmpXchg => "cmpxchg",
                        _ => null,
                    };
                    if (name is null)
                    {
                        return false;
                    }
                    text.Append("lock ").Append(name).Append(insn.MemorySize == MemorySize.Word ? "32 " : " ");
                }
                else
                {
                    return false;
                }
                AppendMemory(text, d, insn.Offset);
                text.Append(", %r").Append(s);
                return true;
            default: // Ld: only the plain 64-bit immediate has a spelling.
                if (!insn.IsLoadImm64 || s != 0 || insn.Offset != 0 || next is not { } second
                    || second != new Instruction(0, 0, 0, 0, second.Imm))
                {
                    return false;
                }
                text.Append("lddw %r").Append(d).Append(", 0x").Append(((ulong)insn.Imm64With(second)).ToString("x", CultureInfo.InvariantCulture));
                return true;
        }
    }

    /// <summary>Small values in decimal; large ones as the 32-bit pattern in hex, as the suite writes them.</summary>
    private static void AppendImmediate(StringBuilder text, int imm)
    {
        if (imm is >= -0xffff and <= 0xffff)
        {
            text.Append(imm);
        }
        else
        {
            text.Append("0x").Append(((uint)imm).ToString("x", CultureInfo.InvariantCulture));
        }
    }

    private static void AppendMemory(StringBuilder text, byte register, short offset)
    {
        text.Append("[%r").Append(register);
        if (offset > 0)
        {
            text.Append('+').Append(offset);
        }
        else if (offset < 0)
        {
            text.Append(offset);
        }
        text.Append(']');
    }

    private static string SizeSuffix(MemorySize size) => size switch
    {
        MemorySize.Byte => "b",
        MemorySize.Half => "h",
        MemorySize.Word => "w",
        _ => "dw",
    };
}
