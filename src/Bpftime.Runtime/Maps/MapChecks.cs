using Bpftime.Diagnostics;
using Bpftime.Objects;

namespace Bpftime.Maps;

/// <summary>The checks every map type shares: layout at creation, key and value lengths at host access.</summary>
internal static class MapChecks
{
    /// <summary>Largest block one map allocates.</summary>
    public const ulong MaxTotalBytes = 1UL << 32;

    public static MapSpec OfType(MapSpec spec, params MapType[] types)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (Array.IndexOf(types, spec.Type) < 0)
        {
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.MapWrongType,
                $"map '{spec.Name}' is of type {spec.Type}, which this class does not implement (it takes {string.Join(", ", types)}); create it with MapFactory or the class for {spec.Type}"));
        }
        return spec;
    }

    public static BpfException Invalid(MapSpec spec, string why) =>
        new(new BpfDiagnostic(DiagnosticCodes.InvalidMapSpec, $"{spec.Type} map '{spec.Name}' {why}"));

    public static void Require(MapSpec spec, bool condition, string why)
    {
        if (!condition)
        {
            throw Invalid(spec, why);
        }
    }

    /// <summary>
    /// The bytes of a block of <paramref name="count"/> items of <paramref name="size"/> bytes, refused
    /// (not wrapped) when the product overflows, so that absurd specs fail with a diagnostic instead of
    /// allocating a wrapped-around size.
    /// </summary>
    public static ulong Product(MapSpec spec, ulong size, ulong count)
    {
        var high = Math.BigMul(size, count, out var low);
        if (high != 0)
        {
            throw Invalid(spec, $"would need {size} x {count} bytes, which overflows; lower max_entries or the value size");
        }
        return low;
    }

    public static void RequireSize(MapSpec spec, ulong bytes)
    {
        if (bytes > MaxTotalBytes)
        {
            throw Invalid(spec, $"would need {bytes} bytes, more than the limit of {MaxTotalBytes}; lower max_entries or the value size");
        }
    }

    public static void Key(BpfMap map, ReadOnlySpan<byte> key)
    {
        if (key.Length != map.KeySize)
        {
            throw WrongSize(map, "key", key.Length, map.KeySize);
        }
    }

    public static BpfException WrongSize(BpfMap map, string what, int given, ulong expected) =>
        new(new BpfDiagnostic(DiagnosticCodes.MapWrongSize,
            $"{map.Type} map '{map.Name}' takes a {expected}-byte {what}, not {given} bytes"));

    /// <summary>Rounds a value size up to 8 so that every value may hold 64-bit atomics.</summary>
    public static ulong Stride(uint size) => (size + 7UL) & ~7UL;
}
