using System.Collections;
using System.Diagnostics.CodeAnalysis;
using Bpftime.Diagnostics;

namespace Bpftime.Hosting;

/// <summary>
/// Programs or maps of a loaded object by name, in the object's order. Asking for a name that is not
/// there is a <see cref="BpfException"/> (BPF4105) that lists the names that are.
/// </summary>
public sealed class BpfNamedCollection<T> : IReadOnlyDictionary<string, T>
{
    private readonly List<KeyValuePair<string, T>> _ordered;
    private readonly Dictionary<string, T> _byName;
    private readonly string _kind;
    private readonly string? _origin;

    internal BpfNamedCollection(IEnumerable<KeyValuePair<string, T>> items, string kind, string? origin)
    {
        _ordered = [.. items];
        _byName = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var (name, value) in _ordered)
        {
            _byName.TryAdd(name, value);
        }
        _kind = kind;
        _origin = origin;
    }

    public T this[string key] => _byName.TryGetValue(key, out var value)
        ? value
        : throw BpfException.Create(DiagnosticCodes.NameNotFound,
            $"no {_kind} named '{key}'; the object has: {(_ordered.Count == 0 ? "none" : string.Join(", ", Keys))}", _origin);

    public IEnumerable<string> Keys => _ordered.Select(p => p.Key);

    public IEnumerable<T> Values => _ordered.Select(p => p.Value);

    public int Count => _ordered.Count;

    public bool ContainsKey(string key) => _byName.ContainsKey(key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out T value) => _byName.TryGetValue(key, out value);

    public IEnumerator<KeyValuePair<string, T>> GetEnumerator() => _ordered.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
