using System.Collections;
using System.Numerics;
using Bpftime.Objects;

namespace Bpftime.Helpers;

/// <summary>
/// An immutable set of program types as a bit mask, for the helper catalogue's "offered to" lists.
/// A framework set over this enum would be compiled at run time on every start of an app (ReadyToRun
/// code cannot hold framework generics over this assembly's value types); this one ships precompiled.
/// </summary>
internal sealed class ProgramTypeSet : IReadOnlySet<ProgramType>
{
    private readonly ulong _bits;

    private ProgramTypeSet(ulong bits) => _bits = bits;

    public int Count => BitOperations.PopCount(_bits);

    // An array, not a span or collection expression: spans of the enum are compiled at run time too.
    public static ProgramTypeSet Of(params ProgramType[] types)
    {
        var bits = 0UL;
        foreach (var type in types)
        {
            bits |= Bit(type);
        }
        return new ProgramTypeSet(bits);
    }

    public static ProgramTypeSet Union(params ProgramTypeSet[] sets)
    {
        var bits = 0UL;
        foreach (var set in sets)
        {
            bits |= set._bits;
        }
        return new ProgramTypeSet(bits);
    }

    public bool Contains(ProgramType item) => (uint)item < 64 && (_bits & Bit(item)) != 0;

    public IEnumerator<ProgramType> GetEnumerator()
    {
        for (var i = 0; i < 64; i++)
        {
            if ((_bits & (1UL << i)) != 0)
            {
                yield return (ProgramType)i;
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public bool IsProperSubsetOf(IEnumerable<ProgramType> other) => IsSubsetOf(other) && Count < CountOf(other);

    public bool IsProperSupersetOf(IEnumerable<ProgramType> other) => IsSupersetOf(other) && Count > CountOf(other);

    public bool IsSubsetOf(IEnumerable<ProgramType> other) => (_bits & ~BitsOf(other)) == 0;

    public bool IsSupersetOf(IEnumerable<ProgramType> other) => (BitsOf(other) & ~_bits) == 0 && AllFit(other);

    public bool Overlaps(IEnumerable<ProgramType> other) => (_bits & BitsOf(other)) != 0;

    public bool SetEquals(IEnumerable<ProgramType> other) => BitsOf(other) == _bits && AllFit(other);

    private static ulong Bit(ProgramType type) =>
        (uint)type < 64 ? 1UL << (int)type : throw new ArgumentOutOfRangeException(nameof(type), type, "program types beyond 63 do not fit the set");

    private static bool AllFit(IEnumerable<ProgramType> other)
    {
        foreach (var type in other)
        {
            if ((uint)type >= 64)
            {
                return false;
            }
        }
        return true;
    }

    private static ulong BitsOf(IEnumerable<ProgramType> other)
    {
        var bits = 0UL;
        foreach (var type in other)
        {
            bits |= (uint)type < 64 ? 1UL << (int)type : 0;
        }
        return bits;
    }

    private static int CountOf(IEnumerable<ProgramType> other) => BitOperations.PopCount(BitsOf(other));
}
