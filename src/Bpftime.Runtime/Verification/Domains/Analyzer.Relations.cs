using Bpftime.Isa;

namespace Bpftime.Verification;

internal sealed partial class Analyzer
{
    /// <summary>Relations over more symbols than this drop the ones no location holds any more.</summary>
    private const int RelationsKeptLoosely = 8;

    private int _nextRel = 1;

    private int NewRel() => _nextRel++;

    /// <summary>
    /// Before a comparison of two registers whose values are not constants: each gets a symbol (and
    /// so does every copy linked to it by id), so that what the comparison teaches can be written
    /// down. Giving a symbol changes no value: both outcomes share it.
    /// </summary>
    private void GiveRelations(VerifierState state, int dst, int src)
    {
        var regs = state.Current.Registers;
        if (!regs[dst].IsScalar || !regs[src].IsScalar || regs[dst].Value.IsConst || regs[src].Value.IsConst)
        {
            return;
        }
        GiveRelation(state, dst);
        GiveRelation(state, src);
    }

    private void GiveRelation(VerifierState state, int register)
    {
        ref var r = ref state.Current.Registers[register];
        if (r.Rel != 0)
        {
            return;
        }
        var symbol = NewRel();
        var id = r.Id;
        if (id != 0)
        {
            state.ForEachRegister((ref RegisterState copy) =>
            {
                if (copy.IsScalar && copy.Id == id && copy.Rel == 0)
                {
                    copy.Rel = symbol;
                    copy.RelDelta = 0;
                }
            });
        }
        r.Rel = symbol;
        r.RelDelta = 0;
    }

    /// <summary>
    /// The relations after "dst op src" held (or not), given the refined ranges of the two; null when
    /// the relations rule that outcome out.
    /// </summary>
    private static Relations? RelationsAfter(VerifierState state, Instruction insn, bool holds, in ScalarRange left, in ScalarRange right)
    {
        var regs = state.Current.Registers;
        var a = regs[insn.Dst];
        var b = regs[insn.Src];
        var relations = state.Relations;
        if (a.Rel == 0 || b.Rel == 0)
        {
            return relations;
        }
        foreach (var (first, c) in RelationFacts.Learned(insn.JumpOperation, insn.Class == InstructionClass.Jmp32, holds, left, right))
        {
            relations = first ? RelationFacts.Add(relations, a, b, c) : RelationFacts.Add(relations, b, a, c);
            if (relations is null)
            {
                return null;
            }
        }
        return relations;
    }

    /// <summary>Stores the relations after a comparison, narrows every related range by them, and forgets symbols nothing holds once there are many.</summary>
    private static void SetRelations(VerifierState state, Relations relations)
    {
        if (relations.IsEmpty)
        {
            state.Relations = relations;
            return;
        }
        // Also with no new relation: a range a comparison narrowed narrows the ranges related to it.
        if (!ReferenceEquals(relations, state.Relations) && relations.Count > RelationsKeptLoosely)
        {
            var held = new HashSet<int> { state.PacketLength };
            state.ForEachRegister((ref RegisterState r) => held.Add(r.Rel));
            relations = relations.Keep(held);
        }
        state.Relations = relations;
        if (RelationFacts.Tighten(state, Location.Scalars(state)))
        {
            NoteRelationsUsed(state);
        }
    }

    /// <summary>This path relied on a relation: so do the states it came through (marked up to the first already marked).</summary>
    private static void NoteRelationsUsed(VerifierState state)
    {
        for (var c = state.Parent; c is not null && !c.RelationsUsed; c = c.Parent)
        {
            c.RelationsUsed = true;
        }
    }

    /// <summary>
    /// The old and now registers at every location whose relations the old state's future may rely on:
    /// the registers the prune point reads and the spilled slots it considers relevant.
    /// </summary>
    private List<(RegisterState Old, RegisterState Now)> RelatedPairs(VerifierState old, VerifierState now)
    {
        var pairs = new List<(RegisterState, RegisterState)>();
        for (var f = 0; f < old.Frames.Count; f++)
        {
            var a = old.Frames[f];
            var b = now.Frames[f];
            var (top, resume, live) = LiveAt(now, f);
            var relevant = _shape.Relevant[resume] & live;
            for (var r = 0; r < FrameState.RegisterCount; r++)
            {
                if ((relevant & (1 << r)) != 0 && a.Registers[r].Rel != 0)
                {
                    pairs.Add((a.Registers[r], b.Registers[r]));
                }
            }
            var relevantStack = top && a.Stack.Length == 512 ? _shape.RelevantStack[resume] : ulong.MaxValue;
            for (var slot = 0; slot < a.SlotCount; slot++)
            {
                if (a.Stack[slot * 8] == StackByte.Spill && a.Spills[slot].Rel != 0 && (relevantStack & (1UL << slot)) != 0)
                {
                    pairs.Add((a.Spills[slot], b.Stack[slot * 8] == StackByte.Spill ? b.Spills[slot] : default));
                }
            }
        }
        if (old.PacketLength != 0)
        {
            // Without a symbol now, nothing is known relative to the packet's length.
            pairs.Add((PacketLengthOf(old), PacketLengthOf(now)));
        }
        return pairs;
    }

    /// <summary>
    /// The relation of a packet pointer moved by a scalar: its position (fixed offset plus variable
    /// part, from the packet's start) is the scalar's value plus a constant when the pointer had a
    /// constant position; a constant move shifts a known position. Anything else has none.
    /// </summary>
    private static RegisterState PacketPosition(RegisterState moved, in RegisterState before, in RegisterState scalar, bool subtract)
    {
        moved.Rel = 0;
        moved.RelDelta = 0;
        if (moved.Type != RegisterType.Packet)
        {
            return moved;
        }
        if (scalar.Value.IsConst)
        {
            var c = (long)scalar.Value.ConstValue;
            if (before.Rel != 0 && Math.Abs(c) < 1L << 40 && Math.Abs(before.RelDelta) < 1L << 40)
            {
                moved.Rel = before.Rel;
                moved.RelDelta = before.RelDelta + (subtract ? -c : c);
            }
            return moved;
        }
        if (!subtract && before.Value.IsConst && scalar.Rel != 0 && before.Value.ConstValue < 1UL << 40 && Math.Abs(scalar.RelDelta) < 1L << 40)
        {
            moved.Rel = scalar.Rel;
            moved.RelDelta = scalar.RelDelta + before.Offset + (long)before.Value.ConstValue;
        }
        return moved;
    }

    /// <summary>A packet pointer found at or below data_end: its position is at most the packet's length.</summary>
    private void RelateToPacketEnd(VerifierState state, in RegisterState packet)
    {
        if (packet.Rel == 0)
        {
            return;
        }
        if (state.PacketLength == 0)
        {
            state.PacketLength = NewRel();
        }
        var length = PacketLengthOf(state);
        SetRelations(state, RelationFacts.Add(state.Relations, packet, length, 0) ?? state.Relations);
    }

    /// <summary>The packet's length as a register holding its symbol (for the relation rules).</summary>
    internal static RegisterState PacketLengthOf(VerifierState state) =>
        new() { Type = RegisterType.Scalar, Value = ScalarRange.UnsignedRange(0, uint.MaxValue), Rel = state.PacketLength };

    private static bool WithinPacketNoted(VerifierState state, in RegisterState pointer, long end)
    {
        if (!WithinPacket(state, pointer, end))
        {
            return false;
        }
        NoteRelationsUsed(state);
        return true;
    }

    /// <summary>
    /// True when the relations show <paramref name="end"/> bytes past the packet pointer's position
    /// are inside the packet: its own relation to the length, or its greatest position below the
    /// least length some related number shows (n + 4 &lt;= len with n &gt;= 1: at least 5 bytes).
    /// </summary>
    private static bool WithinPacket(VerifierState state, in RegisterState pointer, long end)
    {
        if (pointer.Type != RegisterType.Packet || state.PacketLength == 0)
        {
            return false;
        }
        var length = PacketLengthOf(state);
        if (pointer.Rel != 0 && RelationFacts.Difference(state.Relations, pointer, length, rangesToo: false) <= -end)
        {
            return true;
        }
        var least = (long)0;
        state.ForEachRegister((ref RegisterState r) =>
        {
            if (r.Rel != 0 && (r.IsScalar || r.Type == RegisterType.Packet)
                && RelationFacts.Difference(state.Relations, r, length, rangesToo: false) is var gap && gap != Relations.Unbounded)
            {
                // r - len <= gap: len >= min(r) - gap.
                var low = r.IsScalar ? (Int128)r.Value.UMin : (Int128)r.Offset + r.Value.SMin;
                if (low - gap > least)
                {
                    least = (long)Int128.Min(low - gap, long.MaxValue);
                }
            }
        });
        return (Int128)pointer.Offset + pointer.Value.SMax + end <= least;
    }
}
