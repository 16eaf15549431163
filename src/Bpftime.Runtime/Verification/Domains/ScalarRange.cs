using System.Globalization;
using Bpftime.Isa;

namespace Bpftime.Verification;

/// <summary>
/// What the verifier knows of a 64-bit value: unsigned and signed bounds of the whole register and
/// of its low 32 bits, and the known bits. The five views constrain each other; <see cref="Sync"/>
/// carries what one learns to the others and reports a contradiction (an impossible branch).
/// </summary>
internal struct ScalarRange : IEquatable<ScalarRange>
{
    public ulong UMin;
    public ulong UMax;
    public long SMin;
    public long SMax;
    public uint U32Min;
    public uint U32Max;
    public int S32Min;
    public int S32Max;
    public Tnum Bits;

    public static ScalarRange Unknown => new()
    {
        UMin = 0,
        UMax = ulong.MaxValue,
        SMin = long.MinValue,
        SMax = long.MaxValue,
        U32Min = 0,
        U32Max = uint.MaxValue,
        S32Min = int.MinValue,
        S32Max = int.MaxValue,
        Bits = Tnum.Unknown,
    };

    public static ScalarRange Const(ulong value) => new()
    {
        UMin = value,
        UMax = value,
        SMin = (long)value,
        SMax = (long)value,
        U32Min = (uint)value,
        U32Max = (uint)value,
        S32Min = (int)value,
        S32Max = (int)value,
        Bits = Tnum.Const(value),
    };

    /// <summary>Any value in [min, max] (unsigned).</summary>
    public static ScalarRange UnsignedRange(ulong min, ulong max)
    {
        var r = Unknown;
        r.UMin = min;
        r.UMax = max;
        r.Sync();
        return r;
    }

    /// <summary>Any value in [min, max] (signed).</summary>
    public static ScalarRange SignedRange(long min, long max)
    {
        var r = Unknown;
        r.SMin = min;
        r.SMax = max;
        r.Sync();
        return r;
    }

    public readonly bool IsConst => Bits.IsConst;

    public readonly ulong ConstValue => Bits.Value;

    public readonly bool IsConst32 => Bits.Low32.IsConst;

    /// <summary>Propagates facts between the views. Returns false when they contradict (no value fits).</summary>
    public bool Sync()
    {
        for (var round = 0; round < 2; round++)
        {
            // Known bits bound the ranges.
            UMin = Math.Max(UMin, Bits.Value);
            UMax = Math.Min(UMax, Bits.Max);
            U32Min = Math.Max(U32Min, (uint)Bits.Value);
            U32Max = Math.Min(U32Max, (uint)Bits.Max);

            // 64-bit unsigned <-> signed, when the range does not cross the sign boundary.
            if ((long)UMin <= (long)UMax)
            {
                SMin = Math.Max(SMin, (long)UMin);
                SMax = Math.Min(SMax, (long)UMax);
            }
            if (SMin >= 0 || SMax < 0)
            {
                UMin = Math.Max(UMin, (ulong)SMin);
                UMax = Math.Min(UMax, (ulong)SMax);
            }

            // 64-bit -> 32-bit, when the high halves agree.
            if (UMin >> 32 == UMax >> 32)
            {
                U32Min = Math.Max(U32Min, (uint)UMin);
                U32Max = Math.Min(U32Max, (uint)UMax);
            }
            if (SMin >> 32 == SMax >> 32 && (int)SMin <= (int)SMax)
            {
                S32Min = Math.Max(S32Min, (int)SMin);
                S32Max = Math.Min(S32Max, (int)SMax);
            }

            // 32-bit unsigned <-> signed.
            if ((int)U32Min <= (int)U32Max)
            {
                S32Min = Math.Max(S32Min, (int)U32Min);
                S32Max = Math.Min(S32Max, (int)U32Max);
            }
            if (S32Min >= 0 || S32Max < 0)
            {
                U32Min = Math.Max(U32Min, (uint)S32Min);
                U32Max = Math.Min(U32Max, (uint)S32Max);
            }

            // 32-bit -> 64-bit, when the high halves agree.
            if (UMin >> 32 == UMax >> 32 && U32Min <= U32Max)
            {
                var high = UMin & 0xffff_ffff_0000_0000UL;
                UMin = Math.Max(UMin, high | U32Min);
                UMax = Math.Min(UMax, high | U32Max);
            }

            if (IsEmpty)
            {
                return false;
            }

            // Ranges bound the known bits.
            var range = Tnum.Range(UMin, UMax);
            if (Bits.Disjoint(range))
            {
                return false;
            }
            Bits = Bits.Intersect(range);
            var low = Tnum.Range(U32Min, U32Max);
            if (Bits.Low32.Disjoint(low))
            {
                return false;
            }
            Bits = Bits.WithLow32(Bits.Low32.Intersect(low));
        }
        return !IsEmpty;
    }

    public readonly bool IsEmpty => UMin > UMax || SMin > SMax || U32Min > U32Max || S32Min > S32Max;

    /// <summary>True when every value this range allows, <paramref name="old"/> allows too (for pruning).</summary>
    public readonly bool IsWithin(in ScalarRange old) =>
        old.UMin <= UMin && UMax <= old.UMax && old.SMin <= SMin && SMax <= old.SMax
        && old.U32Min <= U32Min && U32Max <= old.U32Max && old.S32Min <= S32Min && S32Max <= old.S32Max
        && Bits.IsWithin(old.Bits);

    public readonly bool Equals(ScalarRange other) =>
        UMin == other.UMin && UMax == other.UMax && SMin == other.SMin && SMax == other.SMax
        && U32Min == other.U32Min && U32Max == other.U32Max && S32Min == other.S32Min && S32Max == other.S32Max
        && Bits == other.Bits;

    public override readonly bool Equals(object? obj) => obj is ScalarRange other && Equals(other);

    public override readonly int GetHashCode() => HashCode.Combine(UMin, UMax, SMin, SMax, Bits);

    /// <summary>The low 32 bits, zero-extended: what a 32-bit operation reads and leaves.</summary>
    public readonly ScalarRange Zext32()
    {
        var r = new ScalarRange
        {
            UMin = U32Min,
            UMax = U32Max,
            SMin = U32Min,
            SMax = U32Max,
            U32Min = U32Min,
            U32Max = U32Max,
            S32Min = S32Min,
            S32Max = S32Max,
            Bits = Bits.Low32,
        };
        r.Sync();
        return r;
    }

    /// <summary>The low <paramref name="bits"/> bits, sign-extended to 64 (movsx, ldsx).</summary>
    public readonly ScalarRange SignExtend(int bits)
    {
        if (bits >= 64)
        {
            return this;
        }
        if (IsConst)
        {
            var shift = 64 - bits;
            return Const((ulong)((long)(ConstValue << shift) >> shift));
        }
        var half = 1UL << (bits - 1);
        if (UMax < half)
        {
            return this;
        }
        return SignedRange(-(long)half, (long)half - 1);
    }

    /// <summary>The low <paramref name="bits"/> bits, zero-extended (le16, narrow loads).</summary>
    public readonly ScalarRange Truncate(int bits)
    {
        if (bits >= 64)
        {
            return this;
        }
        var mask = (1UL << bits) - 1;
        if (UMax <= mask)
        {
            return this;
        }
        var r = UnsignedRange(0, mask);
        r.Bits = r.Bits.Intersect(new Tnum(Bits.Value & mask, Bits.Mask & mask));
        r.Sync();
        return r;
    }

    /// <summary>An ALU operation on two 64-bit operands, or on 32-bit ones when <paramref name="word"/> (result zero-extended).</summary>
    public static ScalarRange Alu(AluOperation op, bool signed, ScalarRange a, ScalarRange b, bool word)
    {
        if (word)
        {
            if (a.IsConst32 && b.IsConst32)
            {
                return Const(EvaluateWord(op, signed, (uint)a.ConstValue, (uint)b.ConstValue));
            }
            if (op == AluOperation.Arsh)
            {
                var wide = Alu64(op, signed, a.Zext32().SignExtend(32), Shift(b, 31));
                return wide.Zext32();
            }
            if (signed && op is AluOperation.Div or AluOperation.Mod)
            {
                return UnsignedRange(0, uint.MaxValue);
            }
            var bb = op is AluOperation.Lsh or AluOperation.Rsh ? Shift(b, 31) : b.Zext32();
            var result = Alu64(op, signed, a.Zext32(), bb);
            return result.Zext32();
        }
        if (a.IsConst && b.IsConst)
        {
            return Const(Evaluate(op, signed, a.ConstValue, b.ConstValue));
        }
        return Alu64(op, signed, a, op is AluOperation.Lsh or AluOperation.Rsh or AluOperation.Arsh ? Shift(b, 63) : b);
    }

    /// <summary>A shift amount: the operand masked as the instruction masks it (x86 and RFC 9669 agree).</summary>
    private static ScalarRange Shift(ScalarRange b, int mask) =>
        b.IsConst32 ? Const(b.ConstValue & (ulong)mask) : UnsignedRange(0, (ulong)mask);

    private static ScalarRange Alu64(AluOperation op, bool signed, ScalarRange a, ScalarRange b)
    {
        var r = Unknown;
        switch (op)
        {
            case AluOperation.Add:
                r.Bits = a.Bits + b.Bits;
                if (a.UMin + b.UMin >= a.UMin && a.UMax + b.UMax >= a.UMax)
                {
                    r.UMin = a.UMin + b.UMin;
                    r.UMax = a.UMax + b.UMax;
                }
                SetSigned(ref r, (Int128)a.SMin + b.SMin, (Int128)a.SMax + b.SMax);
                if ((ulong)a.U32Max + b.U32Max <= uint.MaxValue)
                {
                    r.U32Min = a.U32Min + b.U32Min;
                    r.U32Max = a.U32Max + b.U32Max;
                }
                SetSigned32(ref r, (long)a.S32Min + b.S32Min, (long)a.S32Max + b.S32Max);
                break;
            case AluOperation.Sub:
                r.Bits = a.Bits - b.Bits;
                if (a.UMin >= b.UMax)
                {
                    r.UMin = a.UMin - b.UMax;
                    r.UMax = a.UMax - b.UMin;
                }
                SetSigned(ref r, (Int128)a.SMin - b.SMax, (Int128)a.SMax - b.SMin);
                if (a.U32Min >= b.U32Max)
                {
                    r.U32Min = a.U32Min - b.U32Max;
                    r.U32Max = a.U32Max - b.U32Min;
                }
                SetSigned32(ref r, (long)a.S32Min - b.S32Max, (long)a.S32Max - b.S32Min);
                break;
            case AluOperation.Mul:
                r.Bits = a.Bits * b.Bits;
                if ((UInt128)a.UMax * b.UMax <= ulong.MaxValue)
                {
                    r.UMin = a.UMin * b.UMin;
                    r.UMax = a.UMax * b.UMax;
                }
                {
                    Int128 p1 = (Int128)a.SMin * b.SMin, p2 = (Int128)a.SMin * b.SMax, p3 = (Int128)a.SMax * b.SMin, p4 = (Int128)a.SMax * b.SMax;
                    SetSigned(ref r, Int128.Min(Int128.Min(p1, p2), Int128.Min(p3, p4)), Int128.Max(Int128.Max(p1, p2), Int128.Max(p3, p4)));
                }
                if ((ulong)a.U32Max * b.U32Max <= uint.MaxValue)
                {
                    r.U32Min = a.U32Min * b.U32Min;
                    r.U32Max = a.U32Max * b.U32Max;
                }
                break;
            case AluOperation.And:
                r.Bits = a.Bits & b.Bits;
                r.UMin = r.Bits.Value;
                r.UMax = Math.Min(a.UMax, b.UMax);
                if (a.SMin >= 0 || b.SMin >= 0)
                {
                    // Anding with a non-negative value gives a non-negative value no larger than it.
                    r.SMin = 0;
                    r.SMax = Math.Min(a.SMin >= 0 ? a.SMax : long.MaxValue, b.SMin >= 0 ? b.SMax : long.MaxValue);
                }
                break;
            case AluOperation.Or:
                r.Bits = a.Bits | b.Bits;
                r.UMin = Math.Max(a.UMin, b.UMin);
                r.UMax = r.Bits.Max;
                break;
            case AluOperation.Xor:
                r.Bits = a.Bits ^ b.Bits;
                r.UMin = r.Bits.Value;
                r.UMax = r.Bits.Max;
                break;
            case AluOperation.Lsh:
                if (b.IsConst)
                {
                    var k = (int)b.ConstValue;
                    r.Bits = a.Bits.Lsh(k);
                    if (k == 0 || a.UMax >> (64 - k) == 0)
                    {
                        r.UMin = a.UMin << k;
                        r.UMax = a.UMax << k;
                    }
                }
                break;
            case AluOperation.Rsh:
                if (b.IsConst)
                {
                    var k = (int)b.ConstValue;
                    r.Bits = a.Bits.Rsh(k);
                    r.UMin = a.UMin >> k;
                    r.UMax = a.UMax >> k;
                }
                else
                {
                    r.UMax = a.UMax;
                }
                break;
            case AluOperation.Arsh:
                if (b.IsConst)
                {
                    var k = (int)b.ConstValue;
                    r.Bits = a.Bits.Arsh(k, word: false);
                    r.SMin = a.SMin >> k;
                    r.SMax = a.SMax >> k;
                }
                else
                {
                    r.SMin = a.SMin >= 0 ? 0 : a.SMin;
                    r.SMax = a.SMax < 0 ? -1 : a.SMax;
                }
                break;
            case AluOperation.Div when !signed:
                if (b.IsConst)
                {
                    var c = b.ConstValue;
                    if (c == 0)
                    {
                        return Const(0);
                    }
                    r.UMin = a.UMin / c;
                    r.UMax = a.UMax / c;
                }
                else
                {
                    // A divisor of at least 1 cannot grow the value; a zero divisor gives 0.
                    r.UMax = a.UMax;
                }
                break;
            case AluOperation.Mod when !signed:
                if (b.IsConst && b.ConstValue != 0)
                {
                    if (a.UMax < b.ConstValue)
                    {
                        return a;
                    }
                    r.UMax = b.ConstValue - 1;
                }
                else if (b.UMin > 0)
                {
                    r.UMax = Math.Min(a.UMax, b.UMax - 1);
                }
                else
                {
                    // A zero divisor leaves the dividend; any other gives less than both.
                    r.UMax = a.UMax;
                }
                break;
            default:
                // Signed division and modulo of non-constants, neg of non-constants: no bound kept.
                break;
        }
        if (!r.Sync())
        {
            // Sound fallback: the transfer functions over-approximate, so a contradiction means a
            // bug in them; forget everything rather than claim an impossible value.
            return Unknown;
        }
        return r;
    }

    private static void SetSigned(ref ScalarRange r, Int128 min, Int128 max)
    {
        if (min >= long.MinValue && max <= long.MaxValue)
        {
            r.SMin = (long)min;
            r.SMax = (long)max;
        }
    }

    private static void SetSigned32(ref ScalarRange r, long min, long max)
    {
        if (min >= int.MinValue && max <= int.MaxValue)
        {
            r.S32Min = (int)min;
            r.S32Max = (int)max;
        }
    }

    /// <summary>The exact 64-bit result, with RFC 9669's rules for division by zero and overflow.</summary>
    public static ulong Evaluate(AluOperation op, bool signed, ulong a, ulong b) => op switch
    {
        AluOperation.Add => a + b,
        AluOperation.Sub => a - b,
        AluOperation.Mul => a * b,
        AluOperation.Div when signed => b == 0 ? 0 : (long)b == -1 ? (ulong)(-(long)a) : (ulong)((long)a / (long)b),
        AluOperation.Div => b == 0 ? 0 : a / b,
        AluOperation.Mod when signed => b == 0 ? a : (long)b == -1 ? 0 : (ulong)((long)a % (long)b),
        AluOperation.Mod => b == 0 ? a : a % b,
        AluOperation.Or => a | b,
        AluOperation.And => a & b,
        AluOperation.Xor => a ^ b,
        AluOperation.Lsh => a << (int)(b & 63),
        AluOperation.Rsh => a >> (int)(b & 63),
        AluOperation.Arsh => (ulong)((long)a >> (int)(b & 63)),
        AluOperation.Neg => (ulong)(-(long)a),
        _ => b,
    };

    public static ulong EvaluateWord(AluOperation op, bool signed, uint a, uint b) => op switch
    {
        AluOperation.Add => a + b,
        AluOperation.Sub => a - b,
        AluOperation.Mul => a * b,
        AluOperation.Div when signed => b == 0 ? 0 : (int)b == -1 ? (uint)(-(int)a) : (uint)((int)a / (int)b),
        AluOperation.Div => b == 0 ? 0 : a / b,
        AluOperation.Mod when signed => b == 0 ? a : (int)b == -1 ? 0 : (uint)((int)a % (int)b),
        AluOperation.Mod => b == 0 ? a : a % b,
        AluOperation.Or => a | b,
        AluOperation.And => a & b,
        AluOperation.Xor => a ^ b,
        AluOperation.Lsh => a << (int)(b & 31),
        AluOperation.Rsh => a >> (int)(b & 31),
        AluOperation.Arsh => (uint)((int)a >> (int)(b & 31)),
        AluOperation.Neg => (uint)(-(int)a),
        _ => b,
    };

    /// <summary>
    /// Narrows <paramref name="a"/> and <paramref name="b"/> to the values for which "a op b" holds
    /// (or does not, when <paramref name="holds"/> is false). Returns false when no values remain: the
    /// branch cannot be taken.
    /// </summary>
    public static bool Refine(JumpOperation op, bool word, bool holds, ref ScalarRange a, ref ScalarRange b)
    {
        if (!holds)
        {
            if (op == JumpOperation.Jset)
            {
                return RefineNotSet(word, ref a, ref b);
            }
            op = Negate(op);
        }
        switch (op)
        {
            case JumpOperation.Jeq:
                return word ? Equal32(ref a, ref b) : Equal64(ref a, ref b);
            case JumpOperation.Jne:
                return word ? NotEqual32(ref a, ref b) : NotEqual64(ref a, ref b);
            case JumpOperation.Jgt:
                return Greater(word, strict: true, ref a, ref b);
            case JumpOperation.Jge:
                return Greater(word, strict: false, ref a, ref b);
            case JumpOperation.Jlt:
                return Greater(word, strict: true, ref b, ref a);
            case JumpOperation.Jle:
                return Greater(word, strict: false, ref b, ref a);
            case JumpOperation.Jsgt:
                return SignedGreater(word, strict: true, ref a, ref b);
            case JumpOperation.Jsge:
                return SignedGreater(word, strict: false, ref a, ref b);
            case JumpOperation.Jslt:
                return SignedGreater(word, strict: true, ref b, ref a);
            case JumpOperation.Jsle:
                return SignedGreater(word, strict: false, ref b, ref a);
            case JumpOperation.Jset:
                return RefineSet(word, ref a, ref b);
            default:
                return true;
        }
    }

    /// <summary>The comparison that holds when <paramref name="op"/> does not (jset stays itself: its negation is no comparison).</summary>
    internal static JumpOperation Negate(JumpOperation op) => op switch
    {
        JumpOperation.Jeq => JumpOperation.Jne,
        JumpOperation.Jne => JumpOperation.Jeq,
        JumpOperation.Jgt => JumpOperation.Jle,
        JumpOperation.Jle => JumpOperation.Jgt,
        JumpOperation.Jge => JumpOperation.Jlt,
        JumpOperation.Jlt => JumpOperation.Jge,
        JumpOperation.Jsgt => JumpOperation.Jsle,
        JumpOperation.Jsle => JumpOperation.Jsgt,
        JumpOperation.Jsge => JumpOperation.Jslt,
        JumpOperation.Jslt => JumpOperation.Jsge,
        _ => op,
    };

    private static bool Equal64(ref ScalarRange a, ref ScalarRange b)
    {
        if (!Meet(a, b, out var r))
        {
            return false;
        }
        a = r;
        b = r;
        return true;
    }

    /// <summary>The values both ranges allow; false when there are none.</summary>
    public static bool Meet(in ScalarRange a, in ScalarRange b, out ScalarRange met)
    {
        met = a;
        if (a.Bits.Disjoint(b.Bits))
        {
            return false;
        }
        met.UMin = Math.Max(a.UMin, b.UMin);
        met.UMax = Math.Min(a.UMax, b.UMax);
        met.SMin = Math.Max(a.SMin, b.SMin);
        met.SMax = Math.Min(a.SMax, b.SMax);
        met.U32Min = Math.Max(a.U32Min, b.U32Min);
        met.U32Max = Math.Min(a.U32Max, b.U32Max);
        met.S32Min = Math.Max(a.S32Min, b.S32Min);
        met.S32Max = Math.Min(a.S32Max, b.S32Max);
        met.Bits = a.Bits.Intersect(b.Bits);
        return met.Sync();
    }

    private static bool Equal32(ref ScalarRange a, ref ScalarRange b)
    {
        if (a.Bits.Low32.Disjoint(b.Bits.Low32))
        {
            return false;
        }
        var u32Min = Math.Max(a.U32Min, b.U32Min);
        var u32Max = Math.Min(a.U32Max, b.U32Max);
        var s32Min = Math.Max(a.S32Min, b.S32Min);
        var s32Max = Math.Min(a.S32Max, b.S32Max);
        var low = a.Bits.Low32.Intersect(b.Bits.Low32);
        a.U32Min = b.U32Min = u32Min;
        a.U32Max = b.U32Max = u32Max;
        a.S32Min = b.S32Min = s32Min;
        a.S32Max = b.S32Max = s32Max;
        a.Bits = a.Bits.WithLow32(low);
        b.Bits = b.Bits.WithLow32(low);
        return a.Sync() && b.Sync();
    }

    private static bool NotEqual64(ref ScalarRange a, ref ScalarRange b)
    {
        if (a.IsConst && b.IsConst)
        {
            return a.ConstValue != b.ConstValue;
        }
        if (b.IsConst)
        {
            return ExcludeValue(ref a, b.ConstValue);
        }
        if (a.IsConst)
        {
            return ExcludeValue(ref b, a.ConstValue);
        }
        return true;
    }

    private static bool ExcludeValue(ref ScalarRange a, ulong c)
    {
        if (a.UMin == c)
        {
            a.UMin++;
        }
        if (a.UMax == c)
        {
            a.UMax--;
        }
        if (a.SMin == (long)c)
        {
            a.SMin++;
        }
        if (a.SMax == (long)c)
        {
            a.SMax--;
        }
        return a.Sync();
    }

    private static bool NotEqual32(ref ScalarRange a, ref ScalarRange b)
    {
        if (a.IsConst32 && b.IsConst32)
        {
            return (uint)a.ConstValue != (uint)b.ConstValue;
        }
        if (b.IsConst32)
        {
            return ExcludeValue32(ref a, (uint)b.ConstValue);
        }
        if (a.IsConst32)
        {
            return ExcludeValue32(ref b, (uint)a.ConstValue);
        }
        return true;
    }

    private static bool ExcludeValue32(ref ScalarRange a, uint c)
    {
        if (a.U32Min == c)
        {
            a.U32Min++;
        }
        if (a.U32Max == c)
        {
            a.U32Max--;
        }
        if (a.S32Min == (int)c)
        {
            a.S32Min++;
        }
        if (a.S32Max == (int)c)
        {
            a.S32Max--;
        }
        return a.Sync();
    }

    /// <summary>a &gt; b (or a &gt;= b) unsigned.</summary>
    private static bool Greater(bool word, bool strict, ref ScalarRange a, ref ScalarRange b)
    {
        var step = strict ? 1UL : 0UL;
        if (word)
        {
            if (strict && (b.U32Min == uint.MaxValue || a.U32Max == 0))
            {
                return false;
            }
            a.U32Min = Math.Max(a.U32Min, b.U32Min + (uint)step);
            b.U32Max = Math.Min(b.U32Max, a.U32Max - (uint)step);
        }
        else
        {
            if (strict && (b.UMin == ulong.MaxValue || a.UMax == 0))
            {
                return false;
            }
            a.UMin = Math.Max(a.UMin, b.UMin + step);
            b.UMax = Math.Min(b.UMax, a.UMax - step);
        }
        return a.Sync() && b.Sync();
    }

    /// <summary>a &gt; b (or a &gt;= b) signed.</summary>
    private static bool SignedGreater(bool word, bool strict, ref ScalarRange a, ref ScalarRange b)
    {
        if (word)
        {
            if (strict && (b.S32Min == int.MaxValue || a.S32Max == int.MinValue))
            {
                return false;
            }
            var step = strict ? 1 : 0;
            a.S32Min = Math.Max(a.S32Min, b.S32Min + step);
            b.S32Max = Math.Min(b.S32Max, a.S32Max - step);
        }
        else
        {
            if (strict && (b.SMin == long.MaxValue || a.SMax == long.MinValue))
            {
                return false;
            }
            var step = strict ? 1L : 0L;
            a.SMin = Math.Max(a.SMin, b.SMin + step);
            b.SMax = Math.Min(b.SMax, a.SMax - step);
        }
        return a.Sync() && b.Sync();
    }

    private static bool RefineSet(bool word, ref ScalarRange a, ref ScalarRange b)
    {
        if (!b.IsConst)
        {
            return true;
        }
        var c = word ? (uint)b.ConstValue : b.ConstValue;
        if ((a.Bits.Max & c) == 0)
        {
            return false;
        }
        if ((c & (c - 1)) == 0 && c != 0)
        {
            // A single bit tested and set: that bit is now known to be 1.
            a.Bits = new Tnum(a.Bits.Value | c, a.Bits.Mask & ~c);
            return a.Sync();
        }
        return true;
    }

    private static bool RefineNotSet(bool word, ref ScalarRange a, ref ScalarRange b)
    {
        if (!b.IsConst)
        {
            return true;
        }
        var c = word ? (uint)b.ConstValue : b.ConstValue;
        if ((a.Bits.Value & c) != 0)
        {
            return false;
        }
        a.Bits = new Tnum(a.Bits.Value, a.Bits.Mask & ~c);
        return a.Sync();
    }

    public override readonly string ToString()
    {
        if (IsConst)
        {
            return ((long)ConstValue).ToString(CultureInfo.InvariantCulture);
        }
        var parts = new List<string>(4);
        if (SMin != long.MinValue || SMax != long.MaxValue)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"smin={SMin},smax={SMax}"));
        }
        if (UMin != 0 || UMax != ulong.MaxValue)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"umin={UMin},umax={UMax}"));
        }
        if (!Bits.IsUnknown && parts.Count == 0)
        {
            parts.Add($"bits={Bits}");
        }
        return parts.Count == 0 ? "unknown" : string.Join(",", parts);
    }
}
