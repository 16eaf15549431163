using System.Numerics;

namespace Bpftime.Verification;

/// <summary>
/// Join and widening of <see cref="ScalarRange"/> at loop heads. The join keeps what both ranges
/// allow (the smallest range holding both, in each of the four views and the known bits); widening
/// moves every bound that grew to the next of the program's constants (its thresholds), or to the
/// end of the type, so that a loop reaches a fixpoint in a few steps whatever its trip count.
/// </summary>
internal static class RangeWidening
{
    public static ScalarRange Join(in ScalarRange a, in ScalarRange b)
    {
        var mask = a.Bits.Mask | b.Bits.Mask | (a.Bits.Value ^ b.Bits.Value);
        var r = new ScalarRange
        {
            UMin = Math.Min(a.UMin, b.UMin),
            UMax = Math.Max(a.UMax, b.UMax),
            SMin = Math.Min(a.SMin, b.SMin),
            SMax = Math.Max(a.SMax, b.SMax),
            U32Min = Math.Min(a.U32Min, b.U32Min),
            U32Max = Math.Max(a.U32Max, b.U32Max),
            S32Min = Math.Min(a.S32Min, b.S32Min),
            S32Max = Math.Max(a.S32Max, b.S32Max),
            Bits = new Tnum(a.Bits.Value & ~mask, mask),
        };
        // Each view of the result holds both inputs, so no view can contradict the others.
        return r.Sync() ? r : ScalarRange.Unknown;
    }

    /// <summary>
    /// <paramref name="previous"/> widened by <paramref name="joined"/> (which holds it): bounds that
    /// moved go to the next threshold in their direction. Null thresholds: to the end of the type.
    /// </summary>
    public static ScalarRange Widen(in ScalarRange previous, in ScalarRange joined, WideningThresholds? thresholds)
    {
        var r = joined;
        if (joined.UMax > previous.UMax)
        {
            r.UMax = thresholds?.UnsignedAbove(joined.UMax) ?? ulong.MaxValue;
        }
        if (joined.UMin < previous.UMin)
        {
            r.UMin = thresholds?.UnsignedBelow(joined.UMin) ?? 0;
        }
        if (joined.SMax > previous.SMax)
        {
            r.SMax = thresholds?.SignedAbove(joined.SMax) ?? long.MaxValue;
        }
        if (joined.SMin < previous.SMin)
        {
            r.SMin = thresholds?.SignedBelow(joined.SMin) ?? long.MinValue;
        }
        if (joined.U32Max > previous.U32Max)
        {
            r.U32Max = (uint)Math.Min(thresholds?.UnsignedAbove(joined.U32Max) ?? uint.MaxValue, uint.MaxValue);
        }
        if (joined.U32Min < previous.U32Min)
        {
            r.U32Min = (uint)Math.Min(thresholds?.UnsignedBelow(joined.U32Min) ?? 0, joined.U32Min);
        }
        if (joined.S32Max > previous.S32Max)
        {
            r.S32Max = (int)Math.Clamp(thresholds?.SignedAbove(joined.S32Max) ?? int.MaxValue, joined.S32Max, int.MaxValue);
        }
        if (joined.S32Min < previous.S32Min)
        {
            r.S32Min = (int)Math.Clamp(thresholds?.SignedBelow(joined.S32Min) ?? int.MinValue, int.MinValue, joined.S32Min);
        }
        if (!r.Equals(joined))
        {
            // Known bits would pull the widened bounds back (a join of 0..8 knows bits 4-63 are 0):
            // give up the bits the new bounds do not fix, or the loop widens one bit at a time. The
            // known low bits stay (a counter stepping by 8 stays a multiple of 8): they bound nothing
            // from above, and they are what keeps "i != N" exits from overshooting N.
            var span = Tnum.Range(r.UMin, r.UMax);
            var trailingKnown = BitOperations.TrailingZeroCount(r.Bits.Mask);
            var lowKnown = trailingKnown >= 64 ? 0UL : (1UL << trailingKnown) - 1;
            var mask = (r.Bits.Mask | span.Mask | (r.Bits.Value ^ span.Value)) & ~lowKnown;
            r.Bits = new Tnum(r.Bits.Value & ~mask, mask);
        }
        // The bounds were only moved outwards, so the range still holds every value of both.
        return r.Sync() ? r : ScalarRange.Unknown;
    }
}

/// <summary>The program's constants (and their neighbours), sorted, as stopping points for widening.</summary>
internal sealed class WideningThresholds
{
    private readonly ulong[] _unsigned;
    private readonly long[] _signed;

    public WideningThresholds(IEnumerable<long> constants)
    {
        var set = new HashSet<long>();
        foreach (var c in constants)
        {
            set.Add(c);
            if (c != long.MaxValue)
            {
                set.Add(c + 1);
            }
            if (c != long.MinValue)
            {
                set.Add(c - 1);
            }
        }
        _signed = [.. set.Order()];
        _unsigned = [.. set.Select(c => (ulong)c).Order()];
    }

    /// <summary>The smallest threshold at or above <paramref name="value"/>, or null.</summary>
    public ulong? UnsignedAbove(ulong value)
    {
        var i = Array.BinarySearch(_unsigned, value);
        i = i >= 0 ? i : ~i;
        return i < _unsigned.Length ? _unsigned[i] : null;
    }

    public ulong? UnsignedBelow(ulong value)
    {
        var i = Array.BinarySearch(_unsigned, value);
        i = i >= 0 ? i : ~i - 1;
        return i >= 0 ? _unsigned[i] : null;
    }

    public long? SignedAbove(long value)
    {
        var i = Array.BinarySearch(_signed, value);
        i = i >= 0 ? i : ~i;
        return i < _signed.Length ? _signed[i] : null;
    }

    public long? SignedBelow(long value)
    {
        var i = Array.BinarySearch(_signed, value);
        i = i >= 0 ? i : ~i - 1;
        return i >= 0 ? _signed[i] : null;
    }
}
