using Bpftime.Isa;

namespace Bpftime.Verification;

/// <summary>
/// How a number relates to the length of the (mem, len) buffer (<see cref="VerifierOptions.ContextLengthInR2"/>):
/// a difference constraint "value &lt;= len - gap" (or "= len - gap") with one fixed symbol, the length.
/// It is what proves mem[i] in bounds after "if (i &lt; len)" when len itself is unknown.
/// </summary>
internal enum LengthRelation : byte
{
    /// <summary>Nothing known.</summary>
    None,
    /// <summary>value &lt;= len - gap.</summary>
    AtMost,
    /// <summary>value == len - gap (r2 at entry, and its copies).</summary>
    Exact,
}

/// <summary>The rules of <see cref="LengthRelation"/>: learned from comparisons, moved by constant adds, joined at loop heads.</summary>
internal static class LengthFacts
{
    /// <summary>The largest length the host may pass (the length is a u32 in the contract).</summary>
    public const ulong MaxLength = uint.MaxValue;

    /// <summary>Gaps beyond this are dropped: nothing useful is that far from the length.</summary>
    private const long MaxGap = 1L << 34;

    /// <summary>The register at entry: exactly the length.</summary>
    public static RegisterState InitialLength() => new()
    {
        Type = RegisterType.Scalar,
        Value = ScalarRange.UnsignedRange(0, MaxLength),
        Length = LengthRelation.Exact,
    };

    /// <summary>True when the number is certainly at most len - gap.</summary>
    public static bool AtMost(in RegisterState r, long gap) => r.Length != LengthRelation.None && r.LengthGap >= gap;

    /// <summary>
    /// After "a op b" was found to hold on this branch (the ranges already refined): the relation one
    /// side gets from the other. Only comparisons whose result means the same as on unbounded
    /// integers count: unsigned with both below 2^63, 32-bit with both below 2^32, signed with both
    /// non-negative.
    /// </summary>
    public static void Learn(JumpOperation op, bool word, bool holds, ref RegisterState a, ref RegisterState b)
    {
        if (!a.IsScalar || !b.IsScalar || (a.Length == LengthRelation.None && b.Length == LengthRelation.None))
        {
            return;
        }
        if (!holds)
        {
            // A negated jset tells nothing here: it stays jset, which no case below learns from.
            op = ScalarRange.Negate(op);
        }
        var signed = op is JumpOperation.Jsgt or JumpOperation.Jsge or JumpOperation.Jslt or JumpOperation.Jsle;
        var limit = word ? (ulong)uint.MaxValue : (ulong)long.MaxValue;
        if (word && signed)
        {
            limit = int.MaxValue;
        }
        if (a.Value.UMax > limit || b.Value.UMax > limit)
        {
            return;
        }
        switch (op)
        {
            case JumpOperation.Jlt or JumpOperation.Jslt:
                Bound(ref a, b, 1);
                break;
            case JumpOperation.Jle or JumpOperation.Jsle:
                Bound(ref a, b, 0);
                break;
            case JumpOperation.Jgt or JumpOperation.Jsgt:
                Bound(ref b, a, 1);
                break;
            case JumpOperation.Jge or JumpOperation.Jsge:
                Bound(ref b, a, 0);
                break;
            case JumpOperation.Jeq when !word:
                Bound(ref a, b, 0);
                Bound(ref b, a, 0);
                if (b.Length == LengthRelation.Exact && a.LengthGap == b.LengthGap)
                {
                    a.Length = LengthRelation.Exact;
                }
                else if (a.Length == LengthRelation.Exact && a.LengthGap == b.LengthGap)
                {
                    b.Length = LengthRelation.Exact;
                }
                break;
        }
    }

    /// <summary>small &lt;= large - step: small gets large's gap plus the step, if that is better than what it has.</summary>
    private static void Bound(ref RegisterState small, in RegisterState large, long step)
    {
        if (large.Length == LengthRelation.None)
        {
            return;
        }
        var gap = large.LengthGap + step;
        if (small.Length != LengthRelation.None && small.LengthGap >= gap)
        {
            return;
        }
        if (small.Length == LengthRelation.Exact)
        {
            // Exactly len - g and at most len - gap with gap > g: no value fits; keep what is known.
            return;
        }
        small.Length = LengthRelation.AtMost;
        small.LengthGap = gap;
        Tighten(ref small);
    }

    /// <summary>value &lt;= len - gap &lt;= 2^32 - 1 - gap: the interval learns the bound too.</summary>
    public static void Tighten(ref RegisterState r)
    {
        if (r.Length == LengthRelation.None || r.LengthGap > (long)MaxLength)
        {
            return;
        }
        var max = (ulong)((long)MaxLength - r.LengthGap);
        if (r.LengthGap < 0 || r.Value.UMax <= max)
        {
            return;
        }
        var refined = r.Value;
        refined.UMax = max;
        if (refined.Sync())
        {
            r.Value = refined;
        }
    }

    /// <summary>The relation after adding the constant <paramref name="c"/> (when the add cannot wrap).</summary>
    public static void Add(ref RegisterState result, in RegisterState before, long c)
    {
        if (before.Length == LengthRelation.None || !CannotWrap(before.Value, c))
        {
            return;
        }
        var gap = before.LengthGap - c;
        if (gap is > MaxGap or < -MaxGap)
        {
            return;
        }
        result.Length = before.Length;
        result.LengthGap = gap;
    }

    /// <summary>True when value + c stays in [0, 2^64) for every value of the range (as unbounded integers).</summary>
    public static bool CannotWrap(in ScalarRange value, long c) =>
        c >= 0 ? value.UMax <= ulong.MaxValue - (ulong)c : value.UMin >= (ulong)(-(c + 1)) + 1;

    /// <summary>The relation both values satisfy; with <paramref name="widen"/>, dropped when it got weaker than <paramref name="previous"/>'s.</summary>
    public static (LengthRelation Relation, long Gap) Join(in RegisterState previous, in RegisterState current, bool widen)
    {
        if (previous.Length == LengthRelation.None || current.Length == LengthRelation.None)
        {
            return (LengthRelation.None, 0);
        }
        if (previous.Length == LengthRelation.Exact && current.Length == LengthRelation.Exact && previous.LengthGap == current.LengthGap)
        {
            return (LengthRelation.Exact, previous.LengthGap);
        }
        var gap = Math.Min(previous.LengthGap, current.LengthGap);
        if (widen && gap < previous.LengthGap)
        {
            return (LengthRelation.None, 0);
        }
        return (LengthRelation.AtMost, gap);
    }

    /// <summary>
    /// The number with the relation its range already implies: a scalar at most m below a length known
    /// to be at least <paramref name="lengthMin"/> is at most len - (lengthMin - m). A loop entered with
    /// i = 0 after "if (len == 0) return" then joins with the i &lt;= len - 1 its back edge learned.
    /// </summary>
    public static RegisterState Implied(in RegisterState r, long lengthMin)
    {
        if (!r.IsScalar || r.Length != LengthRelation.None || lengthMin <= 0 || r.Value.UMax > (ulong)lengthMin)
        {
            return r;
        }
        var implied = r;
        implied.Length = LengthRelation.AtMost;
        implied.LengthGap = lengthMin - (long)r.Value.UMax;
        return implied;
    }

    /// <summary>True when what <paramref name="old"/> knows about the length, <paramref name="now"/> knows too.</summary>
    public static bool Covers(in RegisterState old, in RegisterState now) => old.Length switch
    {
        LengthRelation.None => true,
        LengthRelation.AtMost => now.Length != LengthRelation.None && now.LengthGap >= old.LengthGap,
        _ => now.Length == LengthRelation.Exact && now.LengthGap == old.LengthGap,
    };
}
