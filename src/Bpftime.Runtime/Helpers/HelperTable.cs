using System.Collections;

namespace Bpftime.Helpers;

/// <summary>A named set of helpers, by id. Programs may call only what their table holds.</summary>
public sealed class HelperTable : IEnumerable<HelperFunction>
{
    private readonly Dictionary<int, HelperFunction> _byId = [];

    public HelperTable(string name, IEnumerable<HelperFunction>? helpers = null)
    {
        Name = name;
        foreach (var helper in helpers ?? [])
        {
            Add(helper);
        }
    }

    public string Name { get; }

    public int Count => _byId.Count;

    /// <summary>Adds or replaces the helper with the same id.</summary>
    public HelperTable Add(HelperFunction helper)
    {
        _byId[helper.Id] = helper;
        return this;
    }

    public bool TryGet(int id, out HelperFunction helper) => _byId.TryGetValue(id, out helper!);

    public HelperFunction? Find(int id) => _byId.GetValueOrDefault(id);

    public IEnumerator<HelperFunction> GetEnumerator()
    {
        // A list sort rather than OrderBy, whose key buffer over int is compiled at run time on every start.
        var helpers = new List<HelperFunction>(_byId.Values);
        helpers.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        return helpers.GetEnumerator();
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
