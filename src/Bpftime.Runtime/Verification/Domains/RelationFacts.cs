using Bpftime.Isa;

namespace Bpftime.Verification;

/// <summary>A register or a spilled 8-byte slot of one frame: where a number with a symbol can be held.</summary>
internal readonly record struct Location(int Frame, int Index)
{
    /// <summary>Indexes from this up are stack slots (index - SlotBase), below it registers.</summary>
    public const int SlotBase = 16;

    public static Location Register(int frame, int register) => new(frame, register);

    public static Location Slot(int frame, int slot) => new(frame, SlotBase + slot);

    public bool IsSlot => Index >= SlotBase;

    /// <summary>The register state at this location of <paramref name="state"/>.</summary>
    public ref RegisterState In(VerifierState state) =>
        ref IsSlot ? ref state.Frames[Frame].Spills[Index - SlotBase] : ref state.Frames[Frame].Registers[Index];

    /// <summary>Every register and spilled slot of every frame holding a scalar.</summary>
    public static List<Location> Scalars(VerifierState state)
    {
        var list = new List<Location>();
        for (var f = 0; f < state.Frames.Count; f++)
        {
            var frame = state.Frames[f];
            for (var r = 0; r < FrameState.RegisterCount; r++)
            {
                if (frame.Registers[r].IsScalar)
                {
                    list.Add(Register(f, r));
                }
            }
            for (var s = 0; s < frame.SlotCount; s++)
            {
                if (frame.Stack[s * 8] == StackByte.Spill && frame.Spills[s].IsScalar)
                {
                    list.Add(Slot(f, s));
                }
            }
        }
        return list;
    }
}

/// <summary>
/// The rules of <see cref="Relations"/>: what a comparison teaches, how ranges follow from the
/// differences, how two states' relations join (and widen) at a loop head, and when one state's
/// relations imply another's (pruning).
/// </summary>
internal static class RelationFacts
{
    /// <summary>
    /// The value differences "a - b &lt;= c" (First true) or "b - a &lt;= c" (First false) that
    /// "a op b" holding (or not) implies, when the comparison means the same as on unbounded integers
    /// for the refined ranges: unsigned 64-bit always, signed with both non-negative, 32-bit with
    /// both below 2^32 (2^31 signed). A negated jset or jne teaches nothing.
    /// </summary>
    public static IEnumerable<(bool First, long C)> Learned(JumpOperation op, bool word, bool holds, in ScalarRange a, in ScalarRange b)
    {
        if (!holds)
        {
            op = ScalarRange.Negate(op);
        }
        var signed = op is JumpOperation.Jsgt or JumpOperation.Jsge or JumpOperation.Jslt or JumpOperation.Jsle;
        ulong limit = (word, signed) switch
        {
            (false, false) => ulong.MaxValue,
            (false, true) => long.MaxValue,
            (true, false) => uint.MaxValue,
            (true, true) => int.MaxValue,
        };
        if (a.UMax > limit || b.UMax > limit)
        {
            return [];
        }
        return op switch
        {
            JumpOperation.Jlt or JumpOperation.Jslt => [(true, -1)],
            JumpOperation.Jle or JumpOperation.Jsle => [(true, 0)],
            JumpOperation.Jgt or JumpOperation.Jsgt => [(false, -1)],
            JumpOperation.Jge or JumpOperation.Jsge => [(false, 0)],
            JumpOperation.Jeq => [(true, 0), (false, 0)],
            _ => [],
        };
    }

    /// <summary>
    /// "a - b &lt;= c" on values, written on their symbols (both must have one); null when it
    /// contradicts what is known (the branch cannot be taken).
    /// </summary>
    public static Relations? Add(Relations relations, in RegisterState a, in RegisterState b, long c)
    {
        if (a.Rel == 0 || b.Rel == 0)
        {
            return relations;
        }
        // (A + da) - (B + db) <= c  <=>  A - B <= c - da + db.
        var bound = (Int128)c - a.RelDelta + b.RelDelta;
        if (bound >= Relations.MaxBound)
        {
            return relations;
        }
        return relations.With(a.Rel, b.Rel, bound <= -Relations.MaxBound ? -Relations.MaxBound + 1 : (long)bound);
    }

    /// <summary>The least c known with value(a) - value(b) &lt;= c, from the relations and from the ranges; <see cref="Relations.Unbounded"/> when none fits.</summary>
    public static long Difference(Relations relations, in RegisterState a, in RegisterState b, bool rangesToo = true)
    {
        var best = rangesToo ? High(a) - Low(b) : Int128.MaxValue;
        if (a.Rel != 0 && b.Rel != 0 && relations.Bound(a.Rel, b.Rel) is var z && z != Relations.Unbounded)
        {
            best = Int128.Min(best, (Int128)z + a.RelDelta - b.RelDelta);
        }
        return best >= Relations.MaxBound ? Relations.Unbounded : best <= -Relations.MaxBound ? -Relations.MaxBound + 1 : (long)best;
    }

    /// <summary>Beyond any value a location holds: what a location without a number is bounded by.</summary>
    private static readonly Int128 Far = Int128.One << 100;

    /// <summary>
    /// The greatest value the symbol of <paramref name="r"/> may stand for: a scalar's number, a packet
    /// pointer's position (fixed plus variable offset); anything else is not bounded.
    /// </summary>
    private static Int128 High(in RegisterState r) =>
        r.IsScalar ? r.Value.UMax : r.Type == RegisterType.Packet ? (Int128)r.Offset + r.Value.SMax : Far;

    private static Int128 Low(in RegisterState r) =>
        r.IsScalar ? r.Value.UMin : r.Type == RegisterType.Packet ? (Int128)r.Offset + r.Value.SMin : -Far;

    /// <summary>
    /// Narrows the ranges of the numbers at <paramref name="locations"/> by their differences: x - y &lt;= c
    /// gives x &lt;= max(y) + c and y &gt;= min(x) - c. One pass over the pairs (the relations are closed).
    /// Returns true when some range got narrower.
    /// </summary>
    public static bool Tighten(VerifierState state, IReadOnlyList<Location> locations)
    {
        var relations = state.Relations;
        var narrowed = false;
        if (relations.IsEmpty)
        {
            return false;
        }
        var related = new List<Location>();
        foreach (var at in locations)
        {
            if (at.In(state).Rel != 0)
            {
                related.Add(at);
            }
        }
        foreach (var lx in related)
        {
            ref var x = ref lx.In(state);
            foreach (var ly in related)
            {
                if (ly == lx)
                {
                    continue;
                }
                ref var y = ref ly.In(state);
                var c = Difference(relations, x, y, rangesToo: false);
                if (c == Relations.Unbounded)
                {
                    continue;
                }
                var high = (Int128)y.Value.UMax + c;
                var low = (Int128)x.Value.UMin - c;
                if (high >= 0 && high < x.Value.UMax)
                {
                    narrowed |= SetUMax(ref x, (ulong)high);
                }
                if (low <= ulong.MaxValue && low > y.Value.UMin)
                {
                    narrowed |= SetUMin(ref y, (ulong)low);
                }
            }
        }
        return narrowed;
    }

    private static bool SetUMax(ref RegisterState r, ulong max)
    {
        var refined = r.Value;
        refined.UMax = max;
        if (!refined.Sync())
        {
            return false;
        }
        r.Value = refined;
        return true;
    }

    private static bool SetUMin(ref RegisterState r, ulong min)
    {
        var refined = r.Value;
        refined.UMin = min;
        if (!refined.Sync())
        {
            return false;
        }
        r.Value = refined;
        return true;
    }

    /// <summary>
    /// True when every difference <paramref name="old"/> knows between the numbers of <paramref name="pairs"/>
    /// (each an old and a now register at one location the old state's future reads) is known in
    /// <paramref name="now"/> at least as tightly, from its relations or its ranges. A state that
    /// lacks one may take a path the old state's relations ruled out, so it is not covered.
    /// </summary>
    public static bool Covers(Relations old, Relations now, IReadOnlyList<(RegisterState Old, RegisterState Now)> pairs)
    {
        if (old.IsEmpty)
        {
            return true;
        }
        for (var i = 0; i < pairs.Count; i++)
        {
            var (oi, ni) = pairs[i];
            if (oi.Rel == 0)
            {
                continue;
            }
            for (var j = 0; j < pairs.Count; j++)
            {
                var (oj, nj) = pairs[j];
                if (i == j || oj.Rel == 0)
                {
                    continue;
                }
                var needed = Difference(old, oi, oj, rangesToo: false);
                if (needed == Relations.Unbounded)
                {
                    continue;
                }
                if (ni.Type != oi.Type || nj.Type != oj.Type || Difference(now, ni, nj) > needed)
                {
                    return false;
                }
            }
        }
        return true;
    }

    /// <summary>
    /// The relations of <paramref name="result"/>, the join of <paramref name="previous"/> and
    /// <paramref name="current"/> (same frames and slots): each scalar location that is not one
    /// constant on both sides gets a symbol (the same symbol when both sides had the same, else a
    /// new one shared by the locations that were copies on both sides), and keeps every difference
    /// both sides imply (from relations or ranges: i = 15 and n &gt;= 16 on one side, i = 16 and
    /// n &gt;= 17 on the other keep i - n &lt;= -1), the larger bound; then the ranges are narrowed by them. With <paramref name="widen"/>, a difference
    /// whose bound grew since <paramref name="previous"/> is dropped instead, so that repeated
    /// widening reaches a fixpoint.
    /// </summary>
    /// <returns>True when the relations narrowed a joined range (they were used).</returns>
    public static bool Join(VerifierState previous, VerifierState current, VerifierState result, bool widen, Func<int> newSymbol)
    {
        if (previous.Relations.IsEmpty && current.Relations.IsEmpty)
        {
            return false;
        }
        var taking = new List<(Location At, RegisterState P, RegisterState C)>();
        var shared = new Dictionary<(int, long, int, long), int>();
        foreach (var at in Location.Scalars(result))
        {
            var p = at.In(previous);
            var c = at.In(current);
            if (!p.IsScalar || !c.IsScalar || (p.Value.IsConst && c.Value.Equals(p.Value)))
            {
                // The same constant on both sides: its ranges say all there is.
                continue;
            }
            ref var r = ref at.In(result);
            if (p.Rel != 0 && p.Rel == c.Rel && p.RelDelta == c.RelDelta)
            {
                r.Rel = p.Rel;
                r.RelDelta = p.RelDelta;
            }
            else if (p.Rel != 0 && c.Rel != 0)
            {
                if (!shared.TryGetValue((p.Rel, p.RelDelta, c.Rel, c.RelDelta), out var symbol))
                {
                    symbol = newSymbol();
                    shared[(p.Rel, p.RelDelta, c.Rel, c.RelDelta)] = symbol;
                }
                r.Rel = symbol;
                r.RelDelta = 0;
            }
            else
            {
                r.Rel = newSymbol();
                r.RelDelta = 0;
            }
            taking.Add((at, p, c));
        }
        var joined = taking.ConvertAll(t => (t.P, t.C, R: t.At.In(result)));
        if (previous.PacketLength != current.PacketLength)
        {
            result.PacketLength = 0;
        }
        else if (previous.PacketLength != 0)
        {
            // The packet's length is the same value on both sides: a location of its own.
            var length = Analyzer.PacketLengthOf(previous);
            joined.Add((length, length, length));
        }
        var constraints = new List<(int, int, long)>();
        foreach (var (px, cx, rx) in joined)
        {
            foreach (var (py, cy, ry) in joined)
            {
                if (rx.Rel == ry.Rel)
                {
                    continue;
                }
                var before = Difference(previous.Relations, px, py);
                var after = Difference(current.Relations, cx, cy);
                long bound;
                if (widen)
                {
                    bound = after <= before ? before : Relations.Unbounded;
                }
                else
                {
                    bound = Math.Max(before, after);
                }
                if (bound == Relations.Unbounded)
                {
                    continue;
                }
                // The joined ranges imply it anyway: no need to keep it.
                if (High(rx) - Low(ry) <= bound)
                {
                    continue;
                }
                constraints.Add((rx.Rel, ry.Rel, bound - rx.RelDelta + ry.RelDelta));
            }
        }
        result.Relations = Relations.FromConstraints(constraints);
        return Tighten(result, Location.Scalars(result));
    }
}
