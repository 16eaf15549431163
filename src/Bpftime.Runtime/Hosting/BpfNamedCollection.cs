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
    // Names and values side by side rather than key-value pairs: framework collections of pairs are
    // compiled at run time on every start, since ReadyToRun code cannot hold them.
    private readonly List<string> _names = [];
    private readonly List<T> _values = [];
    private readonly Dictionary<string, T> _byName = new(StringComparer.Ordinal);
    private readonly string _kind;
    private readonly string? _origin;

    internal BpfNamedCollection(IReadOnlyList<T> items, Func<T, string> nameOf, string kind, string? origin)
    {
        foreach (var item in items)
        {
            var name = nameOf(item);
            _names.Add(name);
            _values.Add(item);
            _byName.TryAdd(name, item);
        }
        _kind = kind;
        _origin = origin;
    }

    public T this[string key] => _byName.TryGetValue(key, out var value)
        ? value
        : throw BpfException.Create(DiagnosticCodes.NameNotFound,
            $"no {_kind} named '{key}'; the object has: {(_names.Count == 0 ? "none" : string.Join(", ", _names))}", _origin);

    public IEnumerable<string> Keys => _names.AsReadOnly();

    public IEnumerable<T> Values => _values.AsReadOnly();

    public int Count => _names.Count;

    public bool ContainsKey(string key) => _byName.ContainsKey(key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out T value) => _byName.TryGetValue(key, out value);

    public IEnumerator<KeyValuePair<string, T>> GetEnumerator()
    {
        for (var i = 0; i < _names.Count; i++)
        {
            yield return new KeyValuePair<string, T>(_names[i], _values[i]);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
