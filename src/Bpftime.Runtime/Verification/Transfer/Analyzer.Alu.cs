using Bpftime.Diagnostics;
using Bpftime.Isa;

namespace Bpftime.Verification;

internal sealed partial class Analyzer
{
    private void ExecuteAlu(VerifierState state, int pc, Instruction insn)
    {
        var regs = state.Current.Registers;
        var word = insn.Class == InstructionClass.Alu;
        var op = insn.AluOperation;
        var dst = insn.Dst;

        RegisterState source;
        if (op is AluOperation.Neg or AluOperation.End)
        {
            source = default;
        }
        else if (insn.Source == OperandSource.Register)
        {
            source = ReadRegister(state, insn.Src);
        }
        else
        {
            source = RegisterState.Constant(word ? (uint)insn.Imm : (ulong)(long)insn.Imm);
        }

        if (op == AluOperation.Mov)
        {
            if (!word && insn.Offset == 0 && insn.Source == OperandSource.Register && source.IsScalar && !source.Value.IsConst && source.Id == 0)
            {
                // Copies of a number share an id, so that a bound learned on one applies to all.
                source.Id = NewId();
                regs[insn.Src].Id = source.Id;
            }
            regs[dst] = Move(source, insn, word, pc);
            return;
        }

        var target = ReadRegister(state, dst);
        if (op == AluOperation.End)
        {
            RequireScalar(target, dst, pc, "byte swap");
            regs[dst] = RegisterState.Scalar(ByteSwap(target.Value, insn));
            return;
        }
        if (op == AluOperation.Neg)
        {
            RequireScalar(target, dst, pc, "negation");
            regs[dst] = RegisterState.Scalar(ScalarRange.Alu(op, false, target.Value, ScalarRange.Const(0), word));
            return;
        }

        var signed = insn.Offset == 1 && op is AluOperation.Div or AluOperation.Mod;
        if (target.IsScalar && source.IsScalar)
        {
            var result = RegisterState.Scalar(ScalarRange.Alu(op, signed, target.Value, source.Value, word));
            if (op is AluOperation.Add or AluOperation.Sub && source.Value.IsConst)
            {
                // 32-bit: the same exact add when the value fits in 32 bits and the sum does too.
                var c = word ? (long)(int)(uint)source.Value.ConstValue : (long)source.Value.ConstValue;
                if ((op == AluOperation.Add || c != long.MinValue) && (!word || FitsWord(target.Value, op == AluOperation.Add ? c : -c)))
                {
                    KeepSymbol(ref result, target, op == AluOperation.Add ? c : -c);
                }
            }
            regs[dst] = result;
            return;
        }

        var name = Disassembler.Disassemble(insn);
        if (word)
        {
            var which = target.IsPointer ? dst : insn.Src;
            throw new VerificationError(DiagnosticCodes.VerifierProhibitedPointerArithmetic, pc,
                $"{R(which)} is {Describe(target.IsPointer ? target : source)}: 32-bit arithmetic ({name}) on a pointer would cut it; use 64-bit add or sub with a scalar");
        }
        if (target.IsPointer && source.IsScalar && op is AluOperation.Add or AluOperation.Sub)
        {
            if (target.Type == RegisterType.Packet && op == AluOperation.Add && insn.Source == OperandSource.Register && !source.Value.IsConst)
            {
                GiveRelation(state, insn.Src);
                source = regs[insn.Src];
            }
            var moved = MovePointer(target, dst, source, insn.Source == OperandSource.Register ? insn.Src : -1, op == AluOperation.Sub, pc);
            regs[dst] = PacketPosition(moved, target, source, op == AluOperation.Sub);
            return;
        }
        if (target.IsScalar && source.IsPointer && op == AluOperation.Add)
        {
            if (source.Type == RegisterType.Packet && !target.Value.IsConst)
            {
                GiveRelation(state, dst);
                target = regs[dst];
            }
            regs[dst] = PacketPosition(MovePointer(source, insn.Src, target, dst, subtract: false, pc), source, target, subtract: false);
            return;
        }
        if (target.IsPointer && source.IsPointer && op == AluOperation.Sub && ComparablePointers(target, source))
        {
            // The distance between two pointers into the same object is a plain number.
            regs[dst] = RegisterState.Unknown;
            return;
        }
        var culprit = target.IsPointer ? dst : insn.Src;
        throw new VerificationError(DiagnosticCodes.VerifierProhibitedPointerArithmetic, pc,
            $"{R(culprit)} is {Describe(regs[culprit])}: {name} is not allowed on pointers; only adding or subtracting a scalar (and subtracting two pointers into the same object) keeps a pointer checkable");
    }

    /// <summary>
    /// x + c where the add cannot wrap: the result is the same symbolic values (termination, relations)
    /// moved by c, and keeps its relation to the (mem, len) length moved by c. Any other write starts a new value without either.
    /// </summary>
    private static void KeepSymbol(ref RegisterState result, in RegisterState before, long c)
    {
        if (!LengthFacts.CannotWrap(before.Value, c))
        {
            return;
        }
        if (before.Sym != 0 && Math.Abs(before.Delta) < 1L << 40 && Math.Abs(c) < 1L << 40)
        {
            result.Sym = before.Sym;
            result.Delta = before.Delta + c;
        }
        if (before.Rel != 0 && Math.Abs(before.RelDelta) < 1L << 40 && Math.Abs(c) < 1L << 40)
        {
            result.Rel = before.Rel;
            result.RelDelta = before.RelDelta + c;
        }
        LengthFacts.Add(ref result, before, c);
    }

    private static bool FitsWord(in ScalarRange value, long c) =>
        value.UMax <= uint.MaxValue && (c >= 0 ? value.UMax + (ulong)c <= uint.MaxValue : value.UMin >= (ulong)(-c));

    private static bool ComparablePointers(in RegisterState a, in RegisterState b)
    {
        static bool IsPacketKind(RegisterType t) => t is RegisterType.Packet or RegisterType.PacketEnd or RegisterType.PacketMeta;
        if (IsPacketKind(a.Type) && IsPacketKind(b.Type))
        {
            return true;
        }
        return a.Type == b.Type && a.Type is RegisterType.Stack or RegisterType.MapValue or RegisterType.RingBufferRecord or RegisterType.Memory or RegisterType.Context
            && a.Target == b.Target;
    }

    private RegisterState Move(RegisterState source, Instruction insn, bool word, int pc)
    {
        var extend = insn.Offset;
        if (extend != 0)
        {
            if (!source.IsScalar)
            {
                throw new VerificationError(DiagnosticCodes.VerifierProhibitedPointerArithmetic, pc,
                    $"{R(insn.Src)} is {Describe(source)}: sign extension (movsx) of a pointer is not allowed");
            }
            var extended = source.Value.SignExtend(extend);
            return RegisterState.Scalar(word ? extended.Zext32() : extended);
        }
        if (!word)
        {
            return source;
        }
        if (!source.IsScalar)
        {
            // The low half of an address is a number the program could store or return: a leak.
            throw new VerificationError(DiagnosticCodes.VerifierPointerLeak, pc,
                $"{R(insn.Src)} is {Describe(source)}: a 32-bit move keeps half of the address as a number, which would leak it; use a 64-bit move");
        }
        var moved = RegisterState.Scalar(source.Value.Zext32());
        if (source.Value.UMax <= uint.MaxValue)
        {
            // Zero-extending a 32-bit value keeps it: the same symbolic value and relation.
            moved.Sym = source.Sym;
            moved.Delta = source.Delta;
            moved.Rel = source.Rel;
            moved.RelDelta = source.RelDelta;
            moved.Length = source.Length;
            moved.LengthGap = source.LengthGap;
        }
        return moved;
    }

    private void RequireScalar(in RegisterState value, int register, int pc, string operation)
    {
        if (!value.IsScalar)
        {
            throw new VerificationError(DiagnosticCodes.VerifierProhibitedPointerArithmetic, pc,
                $"{R(register)} is {Describe(value)}: {operation} of a pointer is not allowed");
        }
    }

    private static ScalarRange ByteSwap(ScalarRange value, Instruction insn)
    {
        var width = insn.Imm;
        var toBig = insn.Class == InstructionClass.Alu && insn.Source == OperandSource.Register;
        var unconditional = insn.Class == InstructionClass.Alu64;
        if (!toBig && !unconditional)
        {
            // Little-endian host: "to little endian" only truncates.
            return value.Truncate(width);
        }
        if (value.IsConst)
        {
            var v = value.ConstValue;
            return ScalarRange.Const(width switch
            {
                16 => System.Buffers.Binary.BinaryPrimitives.ReverseEndianness((ushort)v),
                32 => System.Buffers.Binary.BinaryPrimitives.ReverseEndianness((uint)v),
                _ => System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(v),
            });
        }
        return width >= 64 ? ScalarRange.Unknown : ScalarRange.UnsignedRange(0, (1UL << width) - 1);
    }

    /// <summary>pointer ± scalar: the fixed offset moves for constants; a bounded variable part is tracked.</summary>
    private RegisterState MovePointer(RegisterState pointer, int pointerRegister, RegisterState scalar, int scalarRegister, bool subtract, int pc)
    {
        switch (pointer.Type)
        {
            case RegisterType.MapValueOrNull:
            case RegisterType.RingBufferRecordOrNull:
            case RegisterType.MapPointerOrNull:
                throw new VerificationError(DiagnosticCodes.VerifierProhibitedPointerArithmetic, pc,
                    $"{R(pointerRegister)} is {Describe(pointer)}: arithmetic on a pointer that may be null is not allowed; check it against 0 first");
            case RegisterType.MapPointer:
            case RegisterType.PacketEnd:
            case RegisterType.Function:
                throw new VerificationError(DiagnosticCodes.VerifierProhibitedPointerArithmetic, pc,
                    $"{R(pointerRegister)} is {Describe(pointer)}: it cannot be moved, only passed to helpers or compared");
        }
        var value = scalar.Value;
        if (value.IsConst)
        {
            var delta = (long)value.ConstValue;
            var offset = subtract ? (long)pointer.Offset - delta : (long)pointer.Offset + delta;
            if (offset <= -MaxOffset || offset >= MaxOffset)
            {
                throw new VerificationError(DiagnosticCodes.VerifierUnboundedPointerArithmetic, pc,
                    $"{R(pointerRegister)} is {Describe(pointer)}: moving it by {delta} puts it out of any object's reach");
            }
            pointer.Offset = (int)offset;
            return pointer;
        }
        if (pointer.Type == RegisterType.Context && !_context.IsRawMemory)
        {
            throw new VerificationError(DiagnosticCodes.VerifierInvalidContextAccess, pc,
                $"{R(pointerRegister)} is {Describe(pointer)}: the context pointer may only be moved by constants, not by {(scalarRegister >= 0 ? R(scalarRegister) : "a value")} = {Describe(scalar)}");
        }
        // An index below the (mem, len) length may reach 4 GiB: still far from overflowing offset arithmetic.
        var reach = pointer.Type == RegisterType.Context && scalar.Length != LengthRelation.None ? MaxLengthOffset : MaxOffset;
        if (pointer.Type == RegisterType.Context && (value.SMin <= -reach || value.SMax >= reach))
        {
            throw new VerificationError(DiagnosticCodes.VerifierInvalidContextAccess, pc,
                $"{R(pointerRegister)} is {Describe(pointer)}: the context pointer may only be moved by constants or by an index with known bounds, not by {(scalarRegister >= 0 ? R(scalarRegister) : "a value")} = {Describe(scalar)}; compare it with the size first (e.g. if (i >= len) return)");
        }
        if (value.SMin <= -reach || value.SMax >= reach)
        {
            throw new VerificationError(DiagnosticCodes.VerifierUnboundedPointerArithmetic, pc,
                $"{R(scalarRegister)} is {Describe(scalar)}, which has no useful bounds: adding it to {R(pointerRegister)} ({Describe(pointer)}) loses track of the pointer; compare it with a limit first (e.g. if (i >= N) return)");
        }
        var variable = ScalarRange.Alu(subtract ? Isa.AluOperation.Sub : Isa.AluOperation.Add, false, pointer.Value, value, word: false);
        if (variable.SMin <= -reach || variable.SMax >= reach)
        {
            throw new VerificationError(DiagnosticCodes.VerifierUnboundedPointerArithmetic, pc,
                $"{R(pointerRegister)} is {Describe(pointer)}: after this the variable part of its offset has no useful bounds");
        }
        // The variable part is below len - gap when the scalar is and it was a constant before.
        var related = !subtract && pointer.Value.IsConst && scalar.Length != LengthRelation.None;
        pointer.Length = related ? LengthRelation.AtMost : LengthRelation.None;
        pointer.LengthGap = related ? scalar.LengthGap - (long)pointer.Value.ConstValue : 0;
        pointer.Value = variable;
        if (pointer.Type is RegisterType.Packet or RegisterType.PacketMeta)
        {
            // A new variable part: what was learned about the old one no longer applies.
            pointer.Id = NewId();
            pointer.Range = 0;
        }
        return pointer;
    }
}
