using System.Runtime.CompilerServices;

namespace Bpftime.Objects;

/// <summary>
/// Keeps a list property of a record whose default is empty as null until it is set, instead of making
/// the framework's shared empty array of the element type at every construction: that array is a type
/// of its own (and its element type's array another), which a load would load for each such property
/// though nothing reads it. The property reads null as the shared empty array, as before.
/// </summary>
internal static class DefaultEmpty
{
    /// <summary>
    /// What the property keeps for <paramref name="value"/>: null for an empty array (the shared one it held
    /// by default, or one a reader sized to a list it found empty), so that a record set to <c>[]</c> or
    /// read from an empty list still equals one left at its default; anything else as given.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static IReadOnlyList<T>? Keep<T>(IReadOnlyList<T> value) => value is T[] { Length: 0 } ? null : value;

    /// <summary>The shared empty array a property kept as null reads as.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static IReadOnlyList<T> Read<T>() => [];
}
