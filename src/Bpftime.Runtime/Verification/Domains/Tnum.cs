using System.Numerics;

namespace Bpftime.Verification;

/// <summary>
/// A "tristate number": for each of 64 bits, known 0, known 1, or unknown. <see cref="Mask"/> has a
/// 1 for every unknown bit; <see cref="Value"/> holds the known bits (and 0 where unknown). It tracks
/// what masks, shifts and alignment tell about a value that ranges alone lose.
/// </summary>
internal readonly record struct Tnum(ulong Value, ulong Mask)
{
    public static Tnum Unknown { get; } = new(0, ulong.MaxValue);

    public static Tnum Const(ulong value) => new(value, 0);

    public bool IsConst => Mask == 0;

    public bool IsUnknown => Mask == ulong.MaxValue;

    /// <summary>The smallest tnum holding every value in [min, max].</summary>
    public static Tnum Range(ulong min, ulong max)
    {
        var chi = min ^ max;
        var bits = chi == 0 ? 0 : 64 - BitOperations.LeadingZeroCount(chi);
        if (bits > 63)
        {
            return Unknown;
        }
        var delta = (1UL << bits) - 1;
        return new Tnum(min & ~delta, delta);
    }

    public Tnum Lsh(int shift) => new(Value << shift, Mask << shift);

    public Tnum Rsh(int shift) => new(Value >> shift, Mask >> shift);

    public Tnum Arsh(int shift, bool word)
    {
        if (word)
        {
            return new Tnum((uint)((int)(uint)Value >> shift), (uint)((int)(uint)Mask >> shift));
        }
        return new Tnum((ulong)((long)Value >> shift), (ulong)((long)Mask >> shift));
    }

    public static Tnum operator +(Tnum a, Tnum b)
    {
        var sm = a.Mask + b.Mask;
        var sv = a.Value + b.Value;
        var sigma = sm + sv;
        var chi = sigma ^ sv;
        var mu = chi | a.Mask | b.Mask;
        return new Tnum(sv & ~mu, mu);
    }

    public static Tnum operator -(Tnum a, Tnum b)
    {
        var dv = a.Value - b.Value;
        var alpha = dv + a.Mask;
        var beta = dv - b.Mask;
        var chi = alpha ^ beta;
        var mu = chi | a.Mask | b.Mask;
        return new Tnum(dv & ~mu, mu);
    }

    public static Tnum operator &(Tnum a, Tnum b)
    {
        var alpha = a.Value | a.Mask;
        var beta = b.Value | b.Mask;
        var v = a.Value & b.Value;
        return new Tnum(v, alpha & beta & ~v);
    }

    public static Tnum operator |(Tnum a, Tnum b)
    {
        var v = a.Value | b.Value;
        var mu = a.Mask | b.Mask;
        return new Tnum(v, mu & ~v);
    }

    public static Tnum operator ^(Tnum a, Tnum b)
    {
        var v = a.Value ^ b.Value;
        var mu = a.Mask | b.Mask;
        return new Tnum(v & ~mu, mu);
    }

    /// <summary>Multiplication, bit by bit over the multiplier's known and unknown ones.</summary>
    public static Tnum operator *(Tnum a, Tnum b)
    {
        if (a.IsConst && b.IsConst)
        {
            return Const(a.Value * b.Value);
        }
        var accV = a.Value * b.Value;
        var accM = Const(0);
        while (a.Value != 0 || a.Mask != 0)
        {
            if ((a.Value & 1) != 0)
            {
                accM += new Tnum(0, b.Mask);
            }
            else if ((a.Mask & 1) != 0)
            {
                accM += new Tnum(0, b.Value | b.Mask);
            }
            a = a.Rsh(1);
            b = b.Lsh(1);
        }
        return new Tnum(accV, 0) + accM;
    }

    /// <summary>The values both tnums allow (assumes they overlap).</summary>
    public Tnum Intersect(Tnum other)
    {
        var v = Value | other.Value;
        var mu = Mask & other.Mask;
        return new Tnum(v & ~mu, mu);
    }

    /// <summary>True when every value this tnum allows, <paramref name="other"/> allows too.</summary>
    public bool IsWithin(Tnum other)
    {
        if ((Mask & ~other.Mask) != 0)
        {
            return false;
        }
        return (Value & ~other.Mask) == other.Value;
    }

    /// <summary>True when the two share no value (a known bit differs).</summary>
    public bool Disjoint(Tnum other) => ((Value ^ other.Value) & ~(Mask | other.Mask)) != 0;

    /// <summary>The low 32 bits, zero-extended.</summary>
    public Tnum Low32 => new((uint)Value, (uint)Mask);

    /// <summary>The high 32 bits kept, the low 32 replaced by <paramref name="low"/>'s.</summary>
    public Tnum WithLow32(Tnum low) => new((Value & 0xffff_ffff_0000_0000UL) | (uint)low.Value, (Mask & 0xffff_ffff_0000_0000UL) | (uint)low.Mask);

    public ulong Max => Value | Mask;

    public override string ToString() => IsConst ? $"{Value}" : $"(0x{Value:x}; 0x{Mask:x})";
}
