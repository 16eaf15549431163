using Bpftime.Diagnostics;
using Bpftime.Helpers;
using Bpftime.Isa;

namespace Bpftime.Verification;

internal sealed partial class Analyzer
{
    /// <summary>Jumps, calls and exit. Returns false when the path ends.</summary>
    private bool ExecuteJump(VerifierState state, int pc, Instruction insn)
    {
        if (insn.Opcode is Opcodes.Ja or Opcodes.Gotol)
        {
            GoTo(state, pc, _shape.JumpTarget(pc));
            return true;
        }
        if (insn.IsExit)
        {
            return ExecuteExit(state, pc);
        }
        if (insn.IsCall)
        {
            if (insn.Opcode == Opcodes.CallRegister)
            {
                throw new VerificationError(DiagnosticCodes.VerifierUnsupportedInstruction, pc,
                    "callx (a call through a register) cannot be checked; call functions directly or pass them to bpf_loop");
            }
            if (insn.IsLocalCall)
            {
                EnterFunction(state, pc, pc + 1 + insn.Imm, CallbackKind.None, arguments: null);
                return true;
            }
            if (insn.IsHelperCall)
            {
                ExecuteHelperCall(state, pc, insn.Imm);
                if (state.Pc == pc)
                {
                    state.Pc = pc + 1;
                    CheckFallThrough(state, pc);
                }
                return true;
            }
            throw new VerificationError(DiagnosticCodes.VerifierUnsupportedInstruction, pc,
                $"calls to kernel functions (kfunc, BTF id {insn.Imm}) are not available outside the kernel");
        }
        ExecuteConditional(state, pc, insn);
        return true;
    }

    private void GoTo(VerifierState state, int pc, int target)
    {
        if (target < 0 || target >= _code.Length || _shape.FunctionOf[target] != _shape.FunctionOf[pc])
        {
            throw new VerificationError(DiagnosticCodes.VerifierJumpOutOfFunction, pc,
                $"the jump to {target} leaves the function that starts at {_shape.FunctionOf[pc]}; functions can only be entered by calls");
        }
        state.Pc = target;
    }

    private void ExecuteConditional(VerifierState state, int pc, Instruction insn)
    {
        var word = insn.Class == InstructionClass.Jmp32;
        var op = insn.JumpOperation;
        var dst = insn.Dst;
        var left = ReadRegister(state, dst);
        var byRegister = insn.Source == OperandSource.Register;
        var right = byRegister
            ? ReadRegister(state, insn.Src)
            : RegisterState.Constant(word ? (uint)insn.Imm : (ulong)(long)insn.Imm);
        var target = _shape.JumpTarget(pc);
        if (target < 0 || target >= _code.Length || _shape.FunctionOf[target] != _shape.FunctionOf[pc])
        {
            GoTo(state, pc, target);
        }

        if (left.IsScalar && right.IsScalar)
        {
            // Numbers: decide feasibility on copies of the two values; copy the state only to split.
            var takenLeft = left.Value;
            var takenRight = right.Value;
            var fallLeft = left.Value;
            var fallRight = right.Value;
            var canTake = ScalarRange.Refine(op, word, holds: true, ref takenLeft, ref takenRight);
            var canFall = ScalarRange.Refine(op, word, holds: false, ref fallLeft, ref fallRight);
            var takenRelations = state.Relations;
            var fallRelations = state.Relations;
            if (byRegister && insn.Src != dst)
            {
                // Two numbers compared: the difference learned may rule an outcome out, too.
                GiveRelations(state, dst, insn.Src);
                var takenLearned = canTake ? RelationsAfter(state, insn, holds: true, takenLeft, takenRight) : null;
                var fallLearned = canFall ? RelationsAfter(state, insn, holds: false, fallLeft, fallRight) : null;
                if (takenLearned is not null || fallLearned is not null)
                {
                    if ((canTake && takenLearned is null) || (canFall && fallLearned is null))
                    {
                        NoteRelationsUsed(state);
                    }
                    canTake = takenLearned is not null;
                    canFall = fallLearned is not null;
                    takenRelations = takenLearned ?? takenRelations;
                    fallRelations = fallLearned ?? fallRelations;
                }
            }
            if (canTake && canFall)
            {
                var branch = state.Clone();
                SetCompared(branch, insn, takenLeft, takenRight, holds: true, takenRelations);
                branch.Pc = target;
                Push(branch);
            }
            if (canFall)
            {
                SetCompared(state, insn, fallLeft, fallRight, holds: false, fallRelations);
                state.Pc = pc + 1;
                CheckFallThrough(state, pc);
            }
            else
            {
                SetCompared(state, insn, takenLeft, takenRight, holds: true, takenRelations);
                state.Pc = target;
            }
            return;
        }

        // Each outcome gets its own copy of the state, refined by what the outcome implies.
        var taken = state.Clone();
        var takenFeasible = Refine(taken, insn, left, right, holds: true, pc);
        var fallFeasible = Refine(state, insn, left, right, holds: false, pc);
        taken.Pc = target;
        state.Pc = pc + 1;
        if (fallFeasible)
        {
            CheckFallThrough(state, pc);
        }
        if (takenFeasible && fallFeasible)
        {
            Push(taken);
            return;
        }
        if (takenFeasible)
        {
            CopyInto(taken, state);
            return;
        }
        if (!fallFeasible)
        {
            // Neither outcome possible: the state itself is contradictory (cannot happen on a real path).
            state.Pc = pc + 1;
        }
    }

    private void SetCompared(VerifierState state, Instruction insn, ScalarRange left, ScalarRange right, bool holds, Relations relations)
    {
        var regs = state.Current.Registers;
        SetLinked(state, regs[insn.Dst].Id, left);
        regs[insn.Dst].Value = left;
        if (insn.Source == OperandSource.Register)
        {
            SetLinked(state, regs[insn.Src].Id, right);
            regs[insn.Src].Value = right;
            if (_options.ContextLengthInR2 && insn.Src != insn.Dst)
            {
                LengthFacts.Learn(insn.JumpOperation, insn.Class == InstructionClass.Jmp32, holds, ref regs[insn.Dst], ref regs[insn.Src]);
                NoteLength(state, regs[insn.Src]);
            }
        }
        if (!ReferenceEquals(relations, state.Relations) || regs[insn.Dst].Rel != 0 || (insn.Source == OperandSource.Register && regs[insn.Src].Rel != 0))
        {
            SetRelations(state, relations);
        }
        NoteLength(state, regs[insn.Dst]);
    }

    /// <summary>A number at most len - gap that is at least m shows len is at least m + gap.</summary>
    private static void NoteLength(VerifierState state, in RegisterState r)
    {
        if (r.Length == LengthRelation.None || r.Value.UMin > LengthFacts.MaxLength)
        {
            return;
        }
        var least = Math.Min((long)r.Value.UMin + r.LengthGap, (long)LengthFacts.MaxLength);
        if (least > state.LengthMin)
        {
            state.LengthMin = least;
        }
    }

    /// <summary>Gives every copy of a number (same id, in any frame or spill) the refined range.</summary>
    private static void SetLinked(VerifierState state, int id, ScalarRange value)
    {
        if (id == 0)
        {
            return;
        }
        state.ForEachRegister((ref RegisterState r) =>
        {
            if (r.Type == RegisterType.Scalar && r.Id == id)
            {
                r.Value = value;
            }
        });
    }

    /// <summary>Replaces <paramref name="into"/>'s contents with <paramref name="from"/>'s (the current path goes on as the taken branch).</summary>
    private static void CopyInto(VerifierState from, VerifierState into)
    {
        into.Frames.Clear();
        into.Frames.AddRange(from.Frames);
        into.References.Clear();
        into.References.AddRange(from.References);
        into.Pc = from.Pc;
        into.LockHeldSince = from.LockHeldSince;
        into.Lock = from.Lock;
        into.LengthMin = from.LengthMin;
        into.Relations = from.Relations;
        into.PacketLength = from.PacketLength;
    }

    /// <summary>Applies "the condition holds" (or not) to the state. Returns false when that is impossible.</summary>
    private bool Refine(VerifierState state, Instruction insn, RegisterState left, RegisterState right, bool holds, int pc)
    {
        var word = insn.Class == InstructionClass.Jmp32;
        var op = insn.JumpOperation;
        var regs = state.Current.Registers;
        var byRegister = insn.Source == OperandSource.Register;

        if (left.IsScalar && right.IsScalar)
        {
            var a = left.Value;
            var b = right.Value;
            if (!ScalarRange.Refine(op, word, holds, ref a, ref b))
            {
                return false;
            }
            regs[insn.Dst].Value = a;
            if (byRegister)
            {
                regs[insn.Src].Value = b;
            }
            return true;
        }

        // Null checks: a maybe-null pointer against 0.
        if (!word && op is JumpOperation.Jeq or JumpOperation.Jne)
        {
            var isEqual = (op == JumpOperation.Jeq) == holds;
            if (left.Type.IsNullable() && IsZero(right))
            {
                MarkNullness(state, left, isNull: isEqual);
                return true;
            }
            if (right.Type.IsNullable() && IsZero(left))
            {
                MarkNullness(state, right, isNull: isEqual);
                return true;
            }
            // A pointer that cannot be null never equals 0.
            if ((left.IsPointer && !left.Type.IsNullable() && IsZero(right)) || (right.IsPointer && !right.Type.IsNullable() && IsZero(left)))
            {
                return !isEqual;
            }
        }

        // Packet bounds: data + N compared with data_end.
        if (!word)
        {
            LearnPacketRange(state, op, left, right, holds);
        }
        return true;
    }

    private static bool IsZero(in RegisterState value) => value.IsConstant && value.Value.ConstValue == 0;

    private static void MarkNullness(VerifierState state, RegisterState checkedRegister, bool isNull)
    {
        var id = checkedRegister.Id;
        var referenceId = checkedRegister.ReferenceId;
        state.ForEachRegister((ref RegisterState r) =>
        {
            if (r.Type.IsNullable() && r.Id == id)
            {
                if (isNull)
                {
                    r = RegisterState.Constant(0);
                }
                else
                {
                    r.Type = r.Type switch
                    {
                        RegisterType.MapValueOrNull => RegisterType.MapValue,
                        RegisterType.MapPointerOrNull => RegisterType.MapPointer,
                        _ => RegisterType.RingBufferRecord,
                    };
                }
            }
        });
        if (isNull && referenceId != 0)
        {
            // A failed reserve holds nothing to release.
            state.References.RemoveAll(r => r.Id == referenceId);
        }
    }

    /// <summary>
    /// pkt + N compared with pkt_end: on the outcome where pkt + N &lt;= end holds, every pointer sharing
    /// pkt's base may access N bytes past that base.
    /// </summary>
    private void LearnPacketRange(VerifierState state, JumpOperation op, RegisterState left, RegisterState right, bool holds)
    {
        RegisterState packet;
        RegisterState limit;
        bool safe;
        if (left.Type == RegisterType.Packet && right.Type == RegisterType.PacketEnd
            || left.Type == RegisterType.PacketMeta && right.Type == RegisterType.Packet)
        {
            packet = left;
            limit = right;
            // left > end false, left >= end false, left < end true, left <= end true.
            safe = op switch
            {
                JumpOperation.Jgt or JumpOperation.Jge => !holds,
                JumpOperation.Jlt or JumpOperation.Jle => holds,
                _ => false,
            };
        }
        else if (right.Type == RegisterType.Packet && left.Type == RegisterType.PacketEnd
            || right.Type == RegisterType.PacketMeta && left.Type == RegisterType.Packet)
        {
            packet = right;
            limit = left;
            // end < right false, end <= right false, end > right true, end >= right true.
            safe = op switch
            {
                JumpOperation.Jlt or JumpOperation.Jle => !holds,
                JumpOperation.Jgt or JumpOperation.Jge => holds,
                _ => false,
            };
        }
        else
        {
            return;
        }
        if (safe && packet.Type == RegisterType.Packet && limit.Type == RegisterType.PacketEnd)
        {
            RelateToPacketEnd(state, packet);
        }
        if (!safe || packet.Offset <= 0)
        {
            return;
        }
        // meta + N <= data + M (+ a variable part): only N - M - max(variable) bytes of metadata are known.
        long range = packet.Offset;
        if (limit.Type == RegisterType.Packet)
        {
            if (limit.Value.SMax >= MaxOffset || limit.Value.SMin <= -MaxOffset)
            {
                return;
            }
            range -= limit.Offset + limit.Value.SMax;
            if (range <= 0)
            {
                return;
            }
        }
        var type = packet.Type;
        var id = packet.Id;
        state.ForEachRegister((ref RegisterState r) =>
        {
            if (r.Type == type && r.Id == id && r.Range < range)
            {
                r.Range = (int)range;
            }
        });
    }
}
