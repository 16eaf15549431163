using Bpftime.Isa;
using Bpftime.Verification;

namespace Bpftime.Tests.Verification;

/// <summary>The value domain: every result contains the concrete results of the values it stands for.</summary>
public sealed class ScalarRangeTests
{
    private static readonly AluOperation[] Operations =
    [
        AluOperation.Add, AluOperation.Sub, AluOperation.Mul, AluOperation.Div, AluOperation.Or, AluOperation.And,
        AluOperation.Lsh, AluOperation.Rsh, AluOperation.Mod, AluOperation.Xor, AluOperation.Arsh,
    ];

    private static bool Contains(in ScalarRange range, ulong value) =>
        range.UMin <= value && value <= range.UMax && range.SMin <= (long)value && (long)value <= range.SMax
        && range.U32Min <= (uint)value && (uint)value <= range.U32Max && range.S32Min <= (int)value && (int)value <= range.S32Max
        && (value & ~range.Bits.Mask) == range.Bits.Value;

    /// <summary>Random ranges, random members, every operation in 64 and 32 bits: the abstract result holds the concrete one.</summary>
    [Fact]
    public void TransferFunctionsAreSound()
    {
        var random = new Random(99);
        for (var n = 0; n < 20000; n++)
        {
            var (a, x) = RandomRange(random);
            var (b, y) = RandomRange(random);
            var op = Operations[random.Next(Operations.Length)];
            var word = random.Next(2) == 0;
            var signed = op is AluOperation.Div or AluOperation.Mod && random.Next(2) == 0;
            var result = ScalarRange.Alu(op, signed, a, b, word);
            var concrete = word ? ScalarRange.EvaluateWord(op, signed, (uint)x, (uint)y) : ScalarRange.Evaluate(op, signed, x, y);
            Assert.True(Contains(result, concrete), $"{op}{(word ? "32" : "")}{(signed ? " signed" : "")}: {x} in [{a}], {y} in [{b}] gave {concrete}, not in [{result}]");
        }
    }

    [Fact]
    public void BranchRefinementKeepsTheValuesThatTakeTheBranch()
    {
        var random = new Random(5);
        var operations = new[] { JumpOperation.Jeq, JumpOperation.Jne, JumpOperation.Jgt, JumpOperation.Jge, JumpOperation.Jlt, JumpOperation.Jle,
            JumpOperation.Jsgt, JumpOperation.Jsge, JumpOperation.Jslt, JumpOperation.Jsle, JumpOperation.Jset };
        for (var n = 0; n < 20000; n++)
        {
            var (a, x) = RandomRange(random);
            var (b, y) = RandomRange(random);
            var op = operations[random.Next(operations.Length)];
            var word = random.Next(2) == 0;
            var holds = Holds(op, word, x, y);
            var refinedA = a;
            var refinedB = b;
            var feasible = ScalarRange.Refine(op, word, holds, ref refinedA, ref refinedB);
            Assert.True(feasible, $"{op}: {x} in [{a}], {y} in [{b}] ({holds}) judged impossible");
            Assert.True(Contains(refinedA, x) && Contains(refinedB, y), $"{op}{(word ? "32" : "")} {holds}: {x}/{y} lost: [{refinedA}] [{refinedB}]");
        }
    }

    [Fact]
    public void ImpossibleBranchIsRecognised()
    {
        var a = ScalarRange.UnsignedRange(0, 15);
        var b = ScalarRange.Const(16);
        Assert.False(ScalarRange.Refine(JumpOperation.Jge, word: false, holds: true, ref a, ref b));
    }

    private static bool Holds(JumpOperation op, bool word, ulong x, ulong y)
    {
        if (word)
        {
            x = (uint)x;
            y = (uint)y;
        }
        long sx = word ? (int)x : (long)x, sy = word ? (int)y : (long)y;
        return op switch
        {
            JumpOperation.Jeq => x == y,
            JumpOperation.Jne => x != y,
            JumpOperation.Jgt => x > y,
            JumpOperation.Jge => x >= y,
            JumpOperation.Jlt => x < y,
            JumpOperation.Jle => x <= y,
            JumpOperation.Jsgt => sx > sy,
            JumpOperation.Jsge => sx >= sy,
            JumpOperation.Jslt => sx < sy,
            JumpOperation.Jsle => sx <= sy,
            _ => (x & y) != 0,
        };
    }

    /// <summary>A range built the ways the verifier builds them (constants, loads, masks, sums), and one of its members.</summary>
    private static (ScalarRange Range, ulong Member) RandomRange(Random random)
    {
        switch (random.Next(5))
        {
            case 0:
                {
                    var value = RandomValue(random);
                    return (ScalarRange.Const(value), value);
                }
            case 1:
                {
                    var low = RandomValue(random);
                    var high = RandomValue(random);
                    if (low > high)
                    {
                        (low, high) = (high, low);
                    }
                    var member = low + (ulong)(random.NextDouble() * (high - low));
                    return (ScalarRange.UnsignedRange(low, high), Math.Clamp(member, low, high));
                }
            case 2:
                {
                    long low = (long)RandomValue(random), high = (long)RandomValue(random);
                    if (low > high)
                    {
                        (low, high) = (high, low);
                    }
                    var member = low + (long)(random.NextDouble() * ((double)high - low));
                    return (ScalarRange.SignedRange(low, high), (ulong)Math.Clamp(member, low, high));
                }
            case 3:
                {
                    var mask = RandomValue(random);
                    var member = RandomValue(random) & mask;
                    return (ScalarRange.Alu(AluOperation.And, false, ScalarRange.Unknown, ScalarRange.Const(mask), false), member);
                }
            default:
                return (ScalarRange.Unknown, RandomValue(random));
        }
    }

    private static ulong RandomValue(Random random) => random.Next(5) switch
    {
        0 => (ulong)random.Next(0, 64),
        1 => (ulong)(long)random.Next(-64, 64),
        2 => (ulong)random.NextInt64(),
        3 => (uint)random.Next() | ((ulong)random.Next(2) << 32),
        _ => (ulong)random.Next(0, 70000),
    };
}
