using System.Globalization;
using Bpftime.Diagnostics;

namespace Bpftime.Isa;

/// <summary>
/// Assembles the eBPF conformance suite's dialect: one instruction a line, registers <c>%r0</c>-<c>%r10</c>,
/// memory operands <c>[%r10-8]</c>, immediates in decimal or <c>0x</c> hex, jump targets <c>+N</c>, <c>-N</c>
/// or a label (<c>name:</c>; <c>exit</c> names the first exit instruction unless defined), <c>#</c> comments.
/// 64-bit ALU mnemonics are bare (<c>add</c>, also <c>add64</c>), 32-bit ones end in 32 (<c>add32</c>).
/// <c>.raw 0xHEX</c> places one slot by its 64-bit encoding, for what no mnemonic spells.
/// Errors are <see cref="BpfException"/>s with BPF1150-1199 codes naming the line and the problem.
/// </summary>
public static class Assembler
{
    /// <summary>Assembles <paramref name="source"/>. <paramref name="firstLine"/> is the line number of its first line, for messages.</summary>
    public static Instruction[] Assemble(string source, string? origin = null, int firstLine = 1)
    {
        ArgumentNullException.ThrowIfNull(source);
        var state = new AssemblyState(origin, firstLine);
        var lineNumber = firstLine - 1;
        foreach (var line in source.AsSpan().EnumerateLines())
        {
            lineNumber++;
            state.Line = lineNumber;
            AssembleLine(state, line);
        }
        return state.Finish();
    }

    private static void AssembleLine(AssemblyState state, ReadOnlySpan<char> line)
    {
        var hash = line.IndexOf('#');
        if (hash >= 0)
        {
            line = line[..hash];
        }
        line = line.Trim();
        if (line.IsEmpty)
        {
            return;
        }

        var word = NextWord(ref line);
        if (word[^1] == ':')
        {
            var label = word[..^1];
            if (!IsIdentifier(label))
            {
                throw state.Error(AssemblerDiagnosticCodes.AssemblerSyntax, $"'{label}' is not a valid label name; use letters, digits, '_' or '.', not starting with a digit");
            }
            state.DefineLabel(label.ToString());
            if (line.IsEmpty)
            {
                return;
            }
            word = NextWord(ref line);
        }

        if (word.SequenceEqual(".raw"))
        {
            // One slot given as its 64-bit encoding (the raw sections' form): the escape for what has no mnemonic.
            var value = line.Trim();
            if (value.IsEmpty || value.Contains(','))
            {
                throw state.Error(AssemblerDiagnosticCodes.AssemblerOperandCount, "'.raw' takes one 64-bit value, the slot's encoding (e.g. .raw 0x0000000000000095)");
            }
            state.Emit(Instruction.FromUInt64(state.Imm64(value)));
            return;
        }
        if (word.SequenceEqual("lock"))
        {
            AssembleAtomic(state, line);
            return;
        }
        if (word.SequenceEqual("call") || word.SequenceEqual("callx"))
        {
            AssembleCall(state, word, line);
            return;
        }
        if (!Forms.TryGetValue(word, out var form))
        {
            throw state.Error(AssemblerDiagnosticCodes.AssemblerUnknownMnemonic, $"unknown mnemonic '{word}'; expected an instruction such as mov, add32, ldxw, stxdw, jeq, ja, call, lock or exit");
        }

        Span<Range> ranges = stackalloc Range[4];
        var count = SplitOperands(line, ranges);
        if (count != form.OperandCount)
        {
            throw state.Error(AssemblerDiagnosticCodes.AssemblerOperandCount, $"'{word}' takes {form.OperandCount} operand{(form.OperandCount == 1 ? "" : "s")} ({form.OperandHint}), found {count}");
        }
        var a = count > 0 ? line[ranges[0]].Trim() : default;
        var b = count > 1 ? line[ranges[1]].Trim() : default;
        var c = count > 2 ? line[ranges[2]].Trim() : default;

        switch (form.Kind)
        {
            case FormKind.Alu:
                {
                    var dst = state.Register(a);
                    if (IsRegisterLike(b))
                    {
                        state.Emit(new Instruction((byte)(form.Opcode | (byte)OperandSource.Register), dst, state.Register(b), form.Offset, 0));
                    }
                    else
                    {
                        state.Emit(new Instruction(form.Opcode, dst, 0, form.Offset, state.Imm32(b)));
                    }
                    break;
                }
            case FormKind.RegisterOnly:
                state.Emit(new Instruction(form.Opcode, state.Register(a), state.Register(b), form.Offset, 0));
                break;
            case FormKind.Unary:
                state.Emit(new Instruction(form.Opcode, state.Register(a), 0, 0, form.Imm));
                break;
            case FormKind.LoadImm64:
                {
                    var dst = state.Register(a);
                    var value = state.Imm64(b);
                    state.Emit(new Instruction(form.Opcode, dst, 0, 0, (int)value));
                    state.Emit(new Instruction(0, 0, 0, 0, (int)(value >> 32)));
                    break;
                }
            case FormKind.Load:
                {
                    var dst = state.Register(a);
                    var (src, offset) = state.Memory(b);
                    state.Emit(new Instruction(form.Opcode, dst, src, offset, 0));
                    break;
                }
            case FormKind.StoreImm:
                {
                    var (dst, offset) = state.Memory(a);
                    state.Emit(new Instruction(form.Opcode, dst, 0, offset, state.Imm32(b)));
                    break;
                }
            case FormKind.StoreReg:
                {
                    var (dst, offset) = state.Memory(a);
                    state.Emit(new Instruction(form.Opcode, dst, state.Register(b), offset, 0));
                    break;
                }
            case FormKind.Jump:
                {
                    var dst = state.Register(a);
                    byte opcode = form.Opcode;
                    byte src = 0;
                    var imm = 0;
                    if (IsRegisterLike(b))
                    {
                        opcode |= (byte)OperandSource.Register;
                        src = state.Register(b);
                    }
                    else
                    {
                        imm = state.Imm32(b);
                    }
                    var offset = state.JumpTarget(c, TargetField.Offset);
                    state.Emit(new Instruction(opcode, dst, src, (short)offset, imm));
                    break;
                }
            case FormKind.Ja:
                state.Emit(new Instruction(form.Opcode, 0, 0, (short)state.JumpTarget(a, TargetField.Offset), 0));
                break;
            case FormKind.Ja32:
                state.Emit(new Instruction(form.Opcode, 0, 0, 0, state.JumpTarget(a, TargetField.Imm)));
                break;
            case FormKind.Exit:
                state.NoteExit();
                state.Emit(new Instruction(form.Opcode, 0, 0, 0, 0));
                break;
        }
    }

    /// <summary><c>lock [fetch] OP [%rD+off], %rS</c> with OP add, or, and, xor, xchg, cmpxchg (suffix 32 for the word form).</summary>
    private static void AssembleAtomic(AssemblyState state, ReadOnlySpan<char> line)
    {
        var rest = line;
        var op = NextWord(ref rest);
        var fetch = false;
        if (op.SequenceEqual("fetch"))
        {
            fetch = true;
            op = NextWord(ref rest);
        }
        if (op.IsEmpty || op[0] == '[')
        {
            throw state.Error(AssemblerDiagnosticCodes.AssemblerOperandCount, "Invalid number of operands for lock: expected 'lock [fetch] OP [%rN+off], %rM' with OP add, or, and, xor, xchg or cmpxchg");
        }
        if (!AtomicForms.TryGetValue(op, out var atomic))
        {
            throw state.Error(AssemblerDiagnosticCodes.AssemblerInvalidAtomic, $"unknown atomic operation '{op}'; expected add, or, and, xor, xchg or cmpxchg, with 32 appended for the 32-bit form");
        }
        Span<Range> ranges = stackalloc Range[4];
        var count = SplitOperands(rest, ranges);
        if (count != 2)
        {
            throw state.Error(AssemblerDiagnosticCodes.AssemblerOperandCount, $"Invalid number of operands for lock {(fetch ? "fetch " : "")}{op}: takes 2 ([%rN+off], %rM), found {count}");
        }
        var (dst, offset) = state.Memory(rest[ranges[0]].Trim());
        var src = state.Register(rest[ranges[1]].Trim());
        var imm = atomic.Imm | (fetch ? (int)AtomicOperation.Fetch : 0);
        state.Emit(new Instruction(atomic.Opcode, dst, src, offset, imm));
    }

    /// <summary><c>call N</c> (helper), <c>call helper N</c>, <c>call local LABEL|+N</c>, <c>call runtime N</c> (kfunc), <c>call %rN</c> or <c>callx %rN</c>.</summary>
    private static void AssembleCall(AssemblyState state, ReadOnlySpan<char> mnemonic, ReadOnlySpan<char> line)
    {
        var rest = line;
        var first = NextWord(ref rest);
        var second = NextWord(ref rest);
        if (first.IsEmpty || !rest.IsEmpty)
        {
            throw state.Error(AssemblerDiagnosticCodes.AssemblerOperandCount, $"'{mnemonic}' takes a target: call N, call local LABEL, call %rN");
        }
        if (mnemonic.SequenceEqual("callx") || IsRegisterLike(first))
        {
            if (!second.IsEmpty)
            {
                throw state.Error(AssemblerDiagnosticCodes.AssemblerOperandCount, $"'{mnemonic} {first}' takes one register operand, found another: '{second}'");
            }
            // callx (RFC 9669 and the suite): BPF_JMP | BPF_CALL | BPF_X = 0x8d with the callee's register in dst.
            state.Emit(new Instruction(Opcodes.CallRegister, state.Register(first), 0, 0, 0));
            return;
        }
        if (second.IsEmpty)
        {
            state.Emit(new Instruction(Opcodes.Call, 0, (byte)CallSource.Helper, 0, state.Imm32(first)));
            return;
        }
        if (first.SequenceEqual("local"))
        {
            var imm = state.JumpTarget(second, TargetField.CallImm);
            state.Emit(new Instruction(Opcodes.Call, 0, (byte)CallSource.Local, 0, imm));
        }
        else if (first.SequenceEqual("helper"))
        {
            state.Emit(new Instruction(Opcodes.Call, 0, (byte)CallSource.Helper, 0, state.Imm32(second)));
        }
        else if (first.SequenceEqual("runtime") || first.SequenceEqual("kfunc"))
        {
            state.Emit(new Instruction(Opcodes.Call, 0, (byte)CallSource.KernelFunction, 0, state.Imm32(second)));
        }
        else
        {
            throw state.Error(AssemblerDiagnosticCodes.AssemblerInvalidCall, $"unknown call kind '{first}'; expected call N, call helper N, call local LABEL, call runtime N or call %rN");
        }
    }

    /// <summary>The next whitespace-delimited word; <paramref name="line"/> is left trimmed after it.</summary>
    private static ReadOnlySpan<char> NextWord(ref ReadOnlySpan<char> line)
    {
        line = line.TrimStart();
        var end = line.IndexOfAny(' ', '\t');
        ReadOnlySpan<char> word;
        if (end < 0)
        {
            word = line;
            line = default;
        }
        else
        {
            word = line[..end];
            line = line[end..].TrimStart();
        }
        return word;
    }

    /// <summary>Splits on commas; an empty text has no operands. Returns the count (capped at the span's length).</summary>
    private static int SplitOperands(ReadOnlySpan<char> text, Span<Range> ranges)
    {
        if (text.IsWhiteSpace())
        {
            return 0;
        }
        var count = text.Split(ranges, ',');
        if (count == ranges.Length)
        {
            // More operands than any instruction takes: count them all for the message.
            count = text.Count(',') + 1;
        }
        return count;
    }

    private static bool IsRegisterLike(ReadOnlySpan<char> operand) => !operand.IsEmpty && operand[0] == '%';

    internal static bool IsIdentifier(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || char.IsAsciiDigit(name[0]))
        {
            return false;
        }
        foreach (var ch in name)
        {
            if (!char.IsAsciiLetterOrDigit(ch) && ch != '_' && ch != '.')
            {
                return false;
            }
        }
        return true;
    }

    internal enum TargetField
    {
        /// <summary>The 16-bit offset of a jump.</summary>
        Offset,
        /// <summary>The 32-bit immediate of gotol (ja32).</summary>
        Imm,
        /// <summary>The 32-bit immediate of a local call.</summary>
        CallImm,
    }

    private enum FormKind : byte
    {
        Alu,
        RegisterOnly,
        Unary,
        LoadImm64,
        Load,
        StoreImm,
        StoreReg,
        Jump,
        Ja,
        Ja32,
        Exit,
    }

    private readonly record struct Form(FormKind Kind, byte Opcode, short Offset = 0, int Imm = 0)
    {
        public int OperandCount => Kind switch
        {
            FormKind.Exit => 0,
            FormKind.Unary or FormKind.Ja or FormKind.Ja32 => 1,
            FormKind.Jump => 3,
            _ => 2,
        };

        public string OperandHint => Kind switch
        {
            FormKind.Alu => "%rDst, %rSrc or imm",
            FormKind.RegisterOnly => "%rDst, %rSrc",
            FormKind.Unary => "%rDst",
            FormKind.LoadImm64 => "%rDst, imm64",
            FormKind.Load => "%rDst, [%rSrc+off]",
            FormKind.StoreImm => "[%rDst+off], imm",
            FormKind.StoreReg => "[%rDst+off], %rSrc",
            FormKind.Jump => "%rDst, %rSrc or imm, target",
            FormKind.Ja or FormKind.Ja32 => "target",
            _ => "none",
        };
    }

    private readonly record struct AtomicForm(byte Opcode, int Imm);

    private static readonly Dictionary<string, Form>.AlternateLookup<ReadOnlySpan<char>> Forms = BuildForms().GetAlternateLookup<ReadOnlySpan<char>>();

    private static readonly Dictionary<string, AtomicForm>.AlternateLookup<ReadOnlySpan<char>> AtomicForms = BuildAtomicForms().GetAlternateLookup<ReadOnlySpan<char>>();

    private static Dictionary<string, Form> BuildForms()
    {
        var forms = new Dictionary<string, Form>(StringComparer.Ordinal);
        foreach (var (name, op, offset) in Mnemonics.Alu)
        {
            var alu64 = new Form(FormKind.Alu, Opcodes.Alu(InstructionClass.Alu64, op, OperandSource.Immediate), offset);
            forms[name] = alu64;
            forms[name + "64"] = alu64;
            forms[name + "32"] = new Form(FormKind.Alu, Opcodes.Alu(InstructionClass.Alu, op, OperandSource.Immediate), offset);
        }
        forms["neg"] = forms["neg64"] = new Form(FormKind.Unary, Opcodes.Alu(InstructionClass.Alu64, AluOperation.Neg, OperandSource.Immediate));
        forms["neg32"] = new Form(FormKind.Unary, Opcodes.Alu(InstructionClass.Alu, AluOperation.Neg, OperandSource.Immediate));

        // movsx<from><to>: sign extension from 8/16/32 bits into a 32-bit (ALU) or 64-bit (ALU64) register.
        foreach (var (from, to) in new (short, int)[] { (8, 32), (16, 32), (8, 64), (16, 64), (32, 64) })
        {
            var cls = to == 32 ? InstructionClass.Alu : InstructionClass.Alu64;
            forms[$"movsx{from}{to}"] = new Form(FormKind.RegisterOnly, Opcodes.Alu(cls, AluOperation.Mov, OperandSource.Register), from);
        }

        foreach (var width in new[] { 16, 32, 64 })
        {
            forms[$"le{width}"] = new Form(FormKind.Unary, Opcodes.Alu(InstructionClass.Alu, AluOperation.End, OperandSource.Immediate), Imm: width);
            forms[$"be{width}"] = new Form(FormKind.Unary, Opcodes.Alu(InstructionClass.Alu, AluOperation.End, OperandSource.Register), Imm: width);
            var swap = new Form(FormKind.Unary, Opcodes.Alu(InstructionClass.Alu64, AluOperation.End, OperandSource.Immediate), Imm: width);
            forms[$"bswap{width}"] = swap;
            forms[$"swap{width}"] = swap;
        }

        forms["lddw"] = new Form(FormKind.LoadImm64, Opcodes.LoadImm64);
        foreach (var (suffix, size) in Mnemonics.SizeSuffixes)
        {
            forms["ldx" + suffix] = new Form(FormKind.Load, Opcodes.Memory(InstructionClass.Ldx, MemoryMode.Mem, size));
            if (size != MemorySize.DoubleWord)
            {
                forms["ldxs" + suffix] = new Form(FormKind.Load, Opcodes.Memory(InstructionClass.Ldx, MemoryMode.MemSx, size));
            }
            forms["st" + suffix] = new Form(FormKind.StoreImm, Opcodes.Memory(InstructionClass.St, MemoryMode.Mem, size));
            forms["stx" + suffix] = new Form(FormKind.StoreReg, Opcodes.Memory(InstructionClass.Stx, MemoryMode.Mem, size));
        }

        foreach (var (name, op) in Mnemonics.Jump)
        {
            forms[name] = new Form(FormKind.Jump, Opcodes.Jump(InstructionClass.Jmp, op, OperandSource.Immediate));
            forms[name + "32"] = new Form(FormKind.Jump, Opcodes.Jump(InstructionClass.Jmp32, op, OperandSource.Immediate));
        }
        forms["ja"] = new Form(FormKind.Ja, Opcodes.Ja);
        forms["ja32"] = forms["gotol"] = new Form(FormKind.Ja32, Opcodes.Gotol);
        forms["exit"] = new Form(FormKind.Exit, Opcodes.Exit);
        return forms;
    }

    private static Dictionary<string, AtomicForm> BuildAtomicForms()
    {
        var forms = new Dictionary<string, AtomicForm>(StringComparer.Ordinal);
        var dw = Opcodes.Memory(InstructionClass.Stx, MemoryMode.Atomic, MemorySize.DoubleWord);
        var w = Opcodes.Memory(InstructionClass.Stx, MemoryMode.Atomic, MemorySize.Word);
        foreach (var (name, op) in new (string, AtomicOperation)[]
        {
            ("add", AtomicOperation.Add), ("or", AtomicOperation.Or), ("and", AtomicOperation.And), ("xor", AtomicOperation.Xor),
            ("xchg", AtomicOperation.Xchg), ("cmpxchg", AtomicOperation.CmpXchg),
        })
        {
            forms[name] = new AtomicForm(dw, (int)op);
            forms[name + "64"] = new AtomicForm(dw, (int)op);
            forms[name + "32"] = new AtomicForm(w, (int)op);
        }
        return forms;
    }

    /// <summary>The mutable part of one assembly: output, labels, pending label references, the current line.</summary>
    private sealed class AssemblyState(string? origin, int firstLine)
    {
        private readonly List<Instruction> _output = new(64);
        private readonly Dictionary<string, int> _labels = new(StringComparer.Ordinal);
        private readonly List<Fixup> _fixups = [];
        private int _firstExit = -1;

        public int Line = firstLine;

        private readonly record struct Fixup(int Slot, string Label, TargetField Field, int Line);

        public void Emit(Instruction instruction) => _output.Add(instruction);

        public void NoteExit()
        {
            if (_firstExit < 0)
            {
                _firstExit = _output.Count;
            }
        }

        public void DefineLabel(string label)
        {
            if (!_labels.TryAdd(label, _output.Count))
            {
                throw Error(AssemblerDiagnosticCodes.AssemblerDuplicateLabel, $"label '{label}' is already defined (at instruction {_labels[label]}); rename one of them");
            }
        }

        public BpfException Error(string code, string message) =>
            new(new BpfDiagnostic(code, $"line {Line}: {message}", File: origin, Line: Line));

        public byte Register(ReadOnlySpan<char> operand)
        {
            if (operand.Length is 3 or 4 && operand[0] == '%' && operand[1] == 'r'
                && byte.TryParse(operand[2..], NumberStyles.None, CultureInfo.InvariantCulture, out var number)
                && number <= 10 && (operand.Length == 3 || operand[2] != '0'))
            {
                return number;
            }
            if (operand.IsEmpty)
            {
                throw Error(AssemblerDiagnosticCodes.AssemblerInvalidRegister, "Invalid register: missing operand where a register (%r0-%r10) is expected");
            }
            throw Error(AssemblerDiagnosticCodes.AssemblerInvalidRegister, $"Invalid register '{operand}'; registers are %r0 to %r10");
        }

        /// <summary>A 32-bit immediate: signed decimal, or hex up to 0xffffffff taken as the bit pattern.</summary>
        public int Imm32(ReadOnlySpan<char> operand)
        {
            var (negative, magnitude, hex) = Number(operand);
            if (negative)
            {
                if (magnitude > 0x8000_0000UL)
                {
                    throw Error(AssemblerDiagnosticCodes.AssemblerImmediateOutOfRange, $"immediate '{operand}' is below -2147483648, the smallest 32-bit value");
                }
                return (int)-(long)magnitude;
            }
            var limit = hex ? uint.MaxValue : (ulong)int.MaxValue;
            if (magnitude > limit)
            {
                throw Error(AssemblerDiagnosticCodes.AssemblerImmediateOutOfRange, $"immediate '{operand}' does not fit in 32 bits (decimal -2147483648 to 2147483647, hex up to 0xffffffff); use lddw for 64-bit constants");
            }
            return (int)(uint)magnitude;
        }

        public ulong Imm64(ReadOnlySpan<char> operand)
        {
            var (negative, magnitude, _) = Number(operand);
            if (negative)
            {
                if (magnitude > 0x8000_0000_0000_0000UL)
                {
                    throw Error(AssemblerDiagnosticCodes.AssemblerImmediateOutOfRange, $"immediate '{operand}' is below the smallest 64-bit value");
                }
                return (ulong)-(long)magnitude;
            }
            return magnitude;
        }

        private (bool Negative, ulong Magnitude, bool Hex) Number(ReadOnlySpan<char> operand)
        {
            var text = operand;
            var negative = false;
            if (!text.IsEmpty && (text[0] == '-' || text[0] == '+'))
            {
                negative = text[0] == '-';
                text = text[1..];
            }
            var hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
            if (hex)
            {
                text = text[2..];
            }
            // Neither style admits signs, spaces or separators, so "0x-1" or "1 2" are refused here.
            if (text.IsEmpty || text.ContainsAnyExcept(hex ? "0123456789abcdefABCDEF" : "0123456789"))
            {
                throw Error(AssemblerDiagnosticCodes.AssemblerInvalidImmediate, operand.IsEmpty
                    ? "missing immediate"
                    : $"'{operand}' is not a number; write decimal (-8, 42) or hex (0x2a)");
            }
            if (!ulong.TryParse(text, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out var magnitude))
            {
                throw Error(AssemblerDiagnosticCodes.AssemblerImmediateOutOfRange, $"immediate '{operand}' does not fit in 64 bits");
            }
            return (negative, magnitude, hex);
        }

        /// <summary><c>[%rN]</c>, <c>[%rN+off]</c> or <c>[%rN-off]</c>, spaces allowed inside the brackets.</summary>
        public (byte Register, short Offset) Memory(ReadOnlySpan<char> operand)
        {
            if (operand.Length < 2 || operand[0] != '[' || operand[^1] != ']')
            {
                throw Error(AssemblerDiagnosticCodes.AssemblerInvalidMemoryOperand, $"'{operand}' is not a memory operand; write [%rN], [%rN+off] or [%rN-off]");
            }
            var inner = operand[1..^1].Trim();
            var sign = inner.IndexOfAny('+', '-');
            if (sign < 0)
            {
                return (Register(inner), 0);
            }
            var register = Register(inner[..sign].TrimEnd());
            var offsetText = inner[sign..];
            if (offsetText.Length > 1 && offsetText[1] == ' ')
            {
                offsetText = string.Concat(offsetText[..1], offsetText[1..].TrimStart());
            }
            return (register, Offset16(offsetText));
        }

        private short Offset16(ReadOnlySpan<char> text)
        {
            var (negative, magnitude, _) = Number(text);
            if (negative ? magnitude > 0x8000 : magnitude > 0x7fff)
            {
                throw Error(AssemblerDiagnosticCodes.AssemblerOffsetOutOfRange, $"offset '{text}' does not fit in 16 signed bits (-32768 to 32767)");
            }
            return (short)(negative ? -(long)magnitude : (long)magnitude);
        }

        /// <summary>A relative target <c>+N</c>/<c>-N</c>/<c>N</c>, or a label resolved when the program is complete.</summary>
        public int JumpTarget(ReadOnlySpan<char> operand, TargetField field)
        {
            if (operand.IsEmpty)
            {
                throw Error(AssemblerDiagnosticCodes.AssemblerOperandCount, "missing jump target; write +N, -N or a label");
            }
            if (operand[0] is '+' or '-' || char.IsAsciiDigit(operand[0]))
            {
                return field == TargetField.Offset ? Offset16(operand) : Imm32(operand);
            }
            if (!IsIdentifier(operand))
            {
                throw Error(AssemblerDiagnosticCodes.AssemblerSyntax, $"'{operand}' is neither a relative target (+N, -N) nor a label name");
            }
            _fixups.Add(new Fixup(_output.Count, operand.ToString(), field, Line));
            return 0;
        }

        public Instruction[] Finish()
        {
            var output = _output.ToArray();
            foreach (var fixup in _fixups)
            {
                if (!_labels.TryGetValue(fixup.Label, out var target))
                {
                    if (fixup.Label != "exit" || _firstExit < 0)
                    {
                        throw new BpfException(new BpfDiagnostic(
                            AssemblerDiagnosticCodes.AssemblerUndefinedLabel,
                            $"line {fixup.Line}: Invalid label '{fixup.Label}': it is not defined; add '{fixup.Label}:' before the target instruction",
                            File: origin,
                            Line: fixup.Line));
                    }
                    target = _firstExit;
                }
                var relative = target - fixup.Slot - 1;
                var instruction = output[fixup.Slot];
                if (fixup.Field == TargetField.Offset)
                {
                    if (relative is < short.MinValue or > short.MaxValue)
                    {
                        throw new BpfException(new BpfDiagnostic(
                            AssemblerDiagnosticCodes.AssemblerJumpOutOfRange,
                            $"line {fixup.Line}: label '{fixup.Label}' is {relative} instructions away, beyond the 16-bit jump offset; use ja32 (gotol) for far jumps",
                            File: origin,
                            Line: fixup.Line));
                    }
                    output[fixup.Slot] = instruction.WithOffset((short)relative);
                }
                else
                {
                    output[fixup.Slot] = instruction.WithImm(relative);
                }
            }
            return output;
        }
    }
}
