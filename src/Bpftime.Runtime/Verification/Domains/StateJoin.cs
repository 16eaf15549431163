namespace Bpftime.Verification;

/// <summary>
/// Joins (and widens) two states of one path at a loop head: the previous iteration's and the
/// current one. The result stands for every concrete state either stands for, so exploring it
/// once covers all later iterations it still covers. Registers of different kinds, stack bytes
/// that are not initialised on both, and pointer spills against anything else are forgotten (a
/// read of them fails); held references and the lock must match, or the states are not joined.
/// The differences between numbers (<see cref="Relations"/>) join by <see cref="RelationFacts.Join"/>.
/// </summary>
internal sealed class StateJoin(WideningThresholds? thresholds, bool widen, Func<int> newId, Func<int> newSymbol)
{
    /// <summary>Ids linking registers in both states map to one new id: linked in the result only if linked in both.</summary>
    private readonly Dictionary<(int, int), int> _ids = [];

    /// <summary>True when the last merge narrowed a range by the relations it kept.</summary>
    public bool RelationsUsed { get; private set; }

    /// <summary>The join of <paramref name="previous"/> and <paramref name="current"/>, or null when they cannot be joined.</summary>
    public VerifierState? Merge(VerifierState previous, VerifierState current)
    {
        if (previous.Frames.Count != current.Frames.Count || previous.References.Count != current.References.Count
            || previous.LockHeldSince != current.LockHeldSince || previous.Lock != current.Lock)
        {
            return null;
        }
        for (var i = 0; i < previous.References.Count; i++)
        {
            if (previous.References[i] != current.References[i])
            {
                return null;
            }
        }
        for (var f = 0; f < previous.Frames.Count; f++)
        {
            var a = previous.Frames[f];
            var b = current.Frames[f];
            if (a.FunctionStart != b.FunctionStart || a.CallSite != b.CallSite || a.Callback != b.Callback || a.Calls != b.Calls
                || !ReferenceEquals(a.CallbackEntry, b.CallbackEntry) || a.Stack.Length != b.Stack.Length)
            {
                return null;
            }
        }
        var result = current.Clone();
        for (var f = 0; f < result.Frames.Count; f++)
        {
            var a = previous.Frames[f];
            var b = current.Frames[f];
            var into = result.Frames[f];
            for (var r = 0; r < FrameState.RegisterCount; r++)
            {
                into.Registers[r] = Register(LengthFacts.Implied(a.Registers[r], previous.LengthMin), LengthFacts.Implied(b.Registers[r], current.LengthMin));
            }
            MergeStack(a, b, into);
        }
        RelationsUsed = RelationFacts.Join(previous, current, result, widen, newSymbol);
        result.LengthMin = Math.Min(previous.LengthMin, current.LengthMin);
        if (widen && current.LengthMin < previous.LengthMin)
        {
            result.LengthMin = 0;
        }
        return result;
    }

    private int PairId(int a, int b)
    {
        if (a == 0 || b == 0)
        {
            return 0;
        }
        if (!_ids.TryGetValue((a, b), out var id))
        {
            id = newId();
            _ids[(a, b)] = id;
        }
        return id;
    }

    private ScalarRange Range(in ScalarRange previous, in ScalarRange current)
    {
        var joined = RangeWidening.Join(previous, current);
        return widen ? RangeWidening.Widen(previous, joined, thresholds) : joined;
    }

    private static RegisterState Mixed => new() { Target = RegisterState.JoinedKinds };

    public RegisterState Register(in RegisterState p, in RegisterState c)
    {
        if (p.Type == RegisterType.NotInitialized || c.Type == RegisterType.NotInitialized)
        {
            return p.Target == RegisterState.JoinedKinds || c.Target == RegisterState.JoinedKinds || p.Type != c.Type ? Mixed : default;
        }
        if (p.Type != c.Type)
        {
            return Mixed;
        }
        RegisterState r;
        if (p.Type == RegisterType.Scalar)
        {
            r = RegisterState.Scalar(Range(p.Value, c.Value));
            r.Id = PairId(p.Id, c.Id);
            r.ReferenceId = p.ReferenceId == c.ReferenceId ? p.ReferenceId : 0;
            if (p.Sym != 0 && p.Sym == c.Sym && p.Delta == c.Delta)
            {
                // The same symbolic value on both: this loop does not change it (an outer loop's counter).
                r.Sym = p.Sym;
                r.Delta = p.Delta;
            }
        }
        else
        {
            if (p.Target != c.Target || p.ReferenceId != c.ReferenceId)
            {
                return Mixed;
            }
            r = c;
            r.Id = PairId(p.Id, c.Id);
            // A pointer's position relation is not joined: the joined offset is neither side's.
            r.Rel = 0;
            r.RelDelta = 0;
            switch (p.Type)
            {
                case RegisterType.Packet:
                case RegisterType.PacketMeta:
                    if (p.Offset != c.Offset)
                    {
                        return Mixed;
                    }
                    r.Range = Math.Min(p.Range, c.Range);
                    break;
                case RegisterType.Stack:
                case RegisterType.MapValue:
                case RegisterType.RingBufferRecord:
                case RegisterType.Memory:
                case RegisterType.Context:
                    if (p.Range != c.Range)
                    {
                        return Mixed;
                    }
                    break;
                default:
                    // Map pointers, maybe-null pointers, data_end, functions: only the same pointer joins.
                    if (p.Offset != c.Offset || p.Range != c.Range || !p.Value.Equals(c.Value))
                    {
                        return Mixed;
                    }
                    return r;
            }
            if (p.Offset == c.Offset)
            {
                r.Value = Range(p.Value, c.Value);
            }
            else
            {
                // Different fixed offsets (p++ in a loop): the lower one stays fixed, the rest joins the variable part.
                var low = Math.Min(p.Offset, c.Offset);
                if (!Shift(p.Value, p.Offset - low, out var pv) || !Shift(c.Value, c.Offset - low, out var cv))
                {
                    return Mixed;
                }
                r.Offset = low;
                r.Value = Range(pv, cv);
            }
            var reach = r.Type == RegisterType.Context && r.Length != LengthRelation.None ? 1L << 33 : 1L << 29;
            if (r.Value.SMin <= -reach || r.Value.SMax >= reach)
            {
                // Widened out of any object's reach: the pointer is useless, and arithmetic on it would overflow.
                return Mixed;
            }
        }
        var (relation, gap) = LengthFacts.Join(p, c, widen);
        if (p.Offset != c.Offset)
        {
            relation = LengthRelation.None;
        }
        r.Length = relation;
        r.LengthGap = relation == LengthRelation.None ? 0 : gap;
        if (r.IsScalar)
        {
            // A widened bound the relation to the length caps (i <= len - 1 < 2^32) comes back down.
            LengthFacts.Tighten(ref r);
        }
        return r;
    }

    private static bool Shift(in ScalarRange value, long by, out ScalarRange shifted)
    {
        shifted = value;
        if (by == 0)
        {
            return true;
        }
        if (value.SMin < 0 || value.SMax >= 1L << 29)
        {
            return false;
        }
        shifted = ScalarRange.Alu(Isa.AluOperation.Add, false, value, ScalarRange.Const((ulong)by), word: false);
        return true;
    }

    private void MergeStack(FrameState a, FrameState b, FrameState into)
    {
        var pa = a.Stack;
        var pb = b.Stack;
        var stack = into.Stack;
        for (var slot = 0; slot < into.SlotCount; slot++)
        {
            var start = slot * 8;
            var aSpill = pa[start] == StackByte.Spill;
            var bSpill = pb[start] == StackByte.Spill;
            if (aSpill && bSpill)
            {
                var joined = Register(a.Spills[slot], b.Spills[slot]);
                if (joined.Type != RegisterType.NotInitialized)
                {
                    into.Spills[slot] = joined;
                    stack.AsSpan(start, 8).Fill(StackByte.Spill);
                    continue;
                }
                into.Spills[slot] = default;
                stack.AsSpan(start, 8).Fill(a.Spills[slot].IsPointer || b.Spills[slot].IsPointer ? StackByte.Invalid : StackByte.Misc);
                continue;
            }
            if (aSpill || bSpill)
            {
                var spilled = aSpill ? a.Spills[slot] : b.Spills[slot];
                var other = aSpill ? pb : pa;
                into.Spills[slot] = default;
                for (var i = start; i < start + 8; i++)
                {
                    // A pointer on one path and data on the other is neither: reading it must fail.
                    stack[i] = spilled.IsPointer || other[i] == StackByte.Invalid ? StackByte.Invalid : StackByte.Misc;
                }
                continue;
            }
            for (var i = start; i < start + 8; i++)
            {
                stack[i] = pa[i] == pb[i] ? pa[i] : pa[i] == StackByte.Invalid || pb[i] == StackByte.Invalid ? StackByte.Invalid : StackByte.Misc;
            }
        }
    }
}
