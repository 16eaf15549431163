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
    private readonly Dictionary<int, HelperFunction> _byId = [];

    // Ids held but not yet made (standard sets only), indexed by id; guarded by _byId.
    private readonly bool[]? _unmade;
    private readonly Func<int, HelperFunction>? _make;
    private int _unmadeCount;

    public HelperTable(string name, IEnumerable<HelperFunction>? helpers = null)
    {
        Name = name;
        foreach (var helper in helpers ?? [])
        {
            Add(helper);
        }
    }

    /// <summary>A table holding <paramref name="ids"/>, each made by <paramref name="make"/> the first time it is asked for.</summary>
    internal HelperTable(string name, int[] ids, Func<int, HelperFunction> make)
    {
        Name = name;
        _make = make;
        var largest = -1;
        foreach (var id in ids)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(id);
            largest = Math.Max(largest, id);
        }
        _unmade = new bool[largest + 1];
        foreach (var id in ids)
        {
            if (!_unmade[id])
            {
                _unmade[id] = true;
                _unmadeCount++;
            }
        }
    }

    public string Name { get; }

    public int Count
    {
        get
        {
            if (_unmade is null)
            {
                return _byId.Count;
            }
            lock (_byId)
            {
                return _byId.Count + _unmadeCount;
            }
        }
    }

    /// <summary>Adds or replaces the helper with the same id.</summary>
    public HelperTable Add(HelperFunction helper)
    {
        ArgumentNullException.ThrowIfNull(helper);
        if (_unmade is null)
        {
            _byId[helper.Id] = helper;
            return this;
        }
        lock (_byId)
        {
            // A replaced standard helper is never made.
            if (IsUnmade(helper.Id))
            {
                _unmade[helper.Id] = false;
                _unmadeCount--;
            }
            _byId[helper.Id] = helper;
        }
        return this;
    }

    public bool TryGet(int id, out HelperFunction helper)
    {
        if (_unmade is null)
        {
            return _byId.TryGetValue(id, out helper!);
        }
        lock (_byId)
        {
            if (_byId.TryGetValue(id, out helper!))
            {
                return true;
            }
            if (!IsUnmade(id))
            {
                return false;
            }
            helper = Make(id);
            return true;
        }
    }

    public HelperFunction? Find(int id) => TryGet(id, out var helper) ? helper : null;

    public IEnumerator<HelperFunction> GetEnumerator()
    {
        // A list sort rather than OrderBy, whose key buffer over int is compiled at run time on every start.
        var helpers = new List<HelperFunction>(Made(all: true));
        helpers.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        return helpers.GetEnumerator();
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// The helpers made so far, without making the others: what native code linked against this table
    /// can have bound (the linker looks up every helper it binds, or enumerates the table).
    /// </summary>
    internal HelperFunction[] Made() => Made(all: false);

    private HelperFunction[] Made(bool all)
    {
        if (_unmade is null)
        {
            return MadeSoFar();
        }
        lock (_byId)
        {
            if (all)
            {
                for (var id = 0; id < _unmade.Length && _unmadeCount > 0; id++)
                {
                    if (_unmade[id])
                    {
                        Make(id);
                    }
                }
            }
            return MadeSoFar();
        }
    }

    /// <summary>
    /// The made helpers as an array, copied rather than spread: a spread of the dictionary's values
    /// compiles to Enumerable.ToArray, which loads System.Linq on every embedded load (docs/startup.md).
    /// </summary>
    private HelperFunction[] MadeSoFar()
    {
        var made = new HelperFunction[_byId.Count];
        _byId.Values.CopyTo(made, 0);
        return made;
    }

    private bool IsUnmade(int id) => id >= 0 && id < _unmade!.Length && _unmade[id];

    // Called with the lock held.
    private HelperFunction Make(int id)
    {
        var helper = _make!(id);
        if (helper.Id != id)
        {
            throw new InvalidOperationException($"helper set '{Name}' made helper #{helper.Id} ({helper.Name}) when asked for #{id}");
        }
        _unmade![id] = false;
        _unmadeCount--;
        _byId[id] = helper;
        return helper;
    }
}
