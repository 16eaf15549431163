using System.Collections;

namespace Bpftime.Helpers;

/// <summary>A named set of helpers, by id. Programs may call only what their table holds.</summary>
/// <remarks>
/// The runtime's standard sets are made on first use, one helper at a time: a table knows from the
/// start which ids it holds (so lookups, <see cref="Count"/> and refusals are the same as for a table
/// filled up front), but builds a helper's body, and the static state of its kind, only when a
/// lookup or an enumeration asks for that id. A load then binds only the helpers its programs call.
/// </remarks>
public sealed class HelperTable : IEnumerable<HelperFunction>
{
    // The ids held, ascending, and each one's helper at the same index (null: held but not yet made,
    // standard sets only). Arrays searched by hand rather than a dictionary, whose generic family of
    // types every load would load (docs/startup.md); a table holds a few dozen helpers. Guarded by _gate.
    private readonly object _gate = new();
    private int[] _ids;
    private HelperFunction?[] _helpers;
    private int _count;
    // Standard sets: what StandardHelpers makes a held helper with (fields rather than a delegate over
    // a closure, which would be two more types for every load to load). Only they hold unmade ids.
    private readonly TraceSink? _trace;
    private readonly bool _hostMemory;

    public HelperTable(string name, IEnumerable<HelperFunction>? helpers = null)
    {
        Name = name;
        _ids = new int[8];
        _helpers = new HelperFunction?[8];
        foreach (var helper in helpers ?? [])
        {
            Add(helper);
        }
    }

    /// <summary>A standard set holding <paramref name="ids"/>, each made by <see cref="StandardHelpers"/> the first time it is asked for.</summary>
    internal HelperTable(string name, int[] ids, TraceSink? trace, bool hostMemory)
    {
        Name = name;
        _trace = trace;
        _hostMemory = hostMemory;
        _ids = new int[ids.Length + 4];
        _helpers = new HelperFunction?[_ids.Length];
        foreach (var id in ids)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(id);
            var index = Search(id);
            if (index < 0)
            {
                Insert(~index, id, null);
            }
        }
    }

    public string Name { get; }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    /// <summary>Adds or replaces the helper with the same id.</summary>
    public HelperTable Add(HelperFunction helper)
    {
        ArgumentNullException.ThrowIfNull(helper);
        lock (_gate)
        {
            // A replaced standard helper is never made.
            var index = Search(helper.Id);
            if (index >= 0)
            {
                _helpers[index] = helper;
            }
            else
            {
                Insert(~index, helper.Id, helper);
            }
        }
        return this;
    }

    public bool TryGet(int id, out HelperFunction helper)
    {
        lock (_gate)
        {
            var index = Search(id);
            if (index < 0)
            {
                helper = null!;
                return false;
            }
            helper = _helpers[index] ?? Make(index);
            return true;
        }
    }

    public HelperFunction? Find(int id) => TryGet(id, out var helper) ? helper : null;

    public IEnumerator<HelperFunction> GetEnumerator()
    {
        // In id order, as the arrays are.
        var helpers = Made(all: true);
        return ((IEnumerable<HelperFunction>)helpers).GetEnumerator();
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// The helpers made so far, without making the others: what native code linked against this table
    /// can have bound (the linker looks up every helper it binds, or enumerates the table).
    /// </summary>
    internal HelperFunction[] Made() => Made(all: false);

    private HelperFunction[] Made(bool all)
    {
        lock (_gate)
        {
            var made = 0;
            for (var i = 0; i < _count; i++)
            {
                if (all && _helpers[i] is null)
                {
                    Make(i);
                }
                made += _helpers[i] is null ? 0 : 1;
            }
            var helpers = new HelperFunction[made];
            var next = 0;
            for (var i = 0; i < _count; i++)
            {
                if (_helpers[i] is { } helper)
                {
                    helpers[next++] = helper;
                }
            }
            return helpers;
        }
    }

    /// <summary>The index of <paramref name="id"/> among the ids held, or the complement of where it would go.</summary>
    private int Search(int id)
    {
        int low = 0, high = _count - 1;
        while (low <= high)
        {
            var middle = low + ((high - low) >> 1);
            var at = _ids[middle];
            if (at == id)
            {
                return middle;
            }
            if (at < id)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }
        return ~low;
    }

    private void Insert(int index, int id, HelperFunction? helper)
    {
        if (_count == _ids.Length)
        {
            var ids = new int[_count * 2];
            var helpers = new HelperFunction?[ids.Length];
            Array.Copy(_ids, ids, _count);
            Array.Copy(_helpers, helpers, _count);
            _ids = ids;
            _helpers = helpers;
        }
        Array.Copy(_ids, index, _ids, index + 1, _count - index);
        Array.Copy(_helpers, index, _helpers, index + 1, _count - index);
        _ids[index] = id;
        _helpers[index] = helper;
        _count++;
    }

    // Called with the lock held.
    private HelperFunction Make(int index)
    {
        var id = _ids[index];
        var helper = StandardHelpers.Make(id, _trace, _hostMemory);
        if (helper.Id != id)
        {
            throw new InvalidOperationException($"helper set '{Name}' made helper #{helper.Id} ({helper.Name}) when asked for #{id}");
        }
        _helpers[index] = helper;
        return helper;
    }
}
