using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Bpftime.Diagnostics;

namespace Bpftime.Hosting;

/// <summary>
/// Programs or maps of a loaded object by name, in the object's order. Asking for a name that is not
/// there is a <see cref="BpfException"/> (BPF4105) that lists the names that are.
/// </summary>
public sealed class BpfNamedCollection<T> : IReadOnlyDictionary<string, T>
{
    // Names and values side by side in arrays, found by an ordinal scan (an object has a handful of
    // each): framework lists, dictionaries and collections of pairs are each a family of types the
    // runtime loads at start-up, and those over pairs are compiled at run time on every start.
    private readonly string[] _names;
    private readonly T[] _values;
    private readonly string _kind;
    private readonly string? _origin;

    /// <param name="names">The name of each of <paramref name="values"/>, at the same index; where a name repeats, the first holds it.</param>
    internal BpfNamedCollection(string[] names, T[] values, string kind, string? origin)
    {
        _names = names;
        _values = values;
        _kind = kind;
        _origin = origin;
    }

    public T this[string key] => IndexOf(key) is var index and >= 0 ? _values[index] : throw NotFound(key);

    public IEnumerable<string> Keys => Array.AsReadOnly(_names);

    public IEnumerable<T> Values => Array.AsReadOnly(_values);

    public int Count => _names.Length;

    public bool ContainsKey(string key) => IndexOf(key) >= 0;

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out T value)
    {
        var index = IndexOf(key);
        if (index < 0)
        {
            value = default;
            return false;
        }
        value = _values[index];
        return true;
    }

    // Inlined: a program lookup then costs no method of its own to look up.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int IndexOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return NamedLookup.IndexOf(_names, key);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private BpfException NotFound(string key) => NamedLookup.NotFound(_kind, _names, key, _origin);

    public IEnumerator<KeyValuePair<string, T>> GetEnumerator()
    {
        for (var i = 0; i < _names.Length; i++)
        {
            yield return new KeyValuePair<string, T>(_names[i], _values[i]);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>The search by name behind <see cref="BpfNamedCollection{T}"/> and <see cref="BpfObject.GetProgram"/>, over names kept in an array.</summary>
internal static class NamedLookup
{
    /// <summary>The index of <paramref name="key"/> in <paramref name="names"/> (ordinal; the first where it repeats), or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int IndexOf(string[] names, string key)
    {
        for (var i = 0; i < names.Length; i++)
        {
            if (string.Equals(names[i], key, StringComparison.Ordinal))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>BPF4105 for a <paramref name="kind"/> named <paramref name="key"/> that is not among <paramref name="names"/>, listing those that are.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static BpfException NotFound(string kind, string[] names, string key, string? origin) => BpfException.Create(DiagnosticCodes.NameNotFound,
        $"no {kind} named '{key}'; the object has: {(names.Length == 0 ? "none" : string.Join(", ", names))}", origin);
}
