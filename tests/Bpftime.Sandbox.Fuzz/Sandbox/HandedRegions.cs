using Bpftime.Maps;

namespace Bpftime.Sandbox.Fuzz.Sandbox;

/// <summary>
/// What one run legitimately handed the program, as address ranges: its context page, its stack, its maps'
/// values and ring-buffer data, and its maps' handles (ld_imm64 src 1/5 gives them out). Each range is
/// widened by a neighbourhood: a pointer a few pages from one the program holds tells it nothing new.
/// </summary>
internal sealed class HandedRegions
{
    /// <summary>Around the context page and the stack: the generator's offsets from r1 and r10 stay within it.</summary>
    public const ulong WideNeighbourhood = 256 * 1024;

    /// <summary>Around map memory and handles, kept small: other host allocations sit close by in the native heap.</summary>
    public const ulong NarrowNeighbourhood = 4096;

    private readonly List<(ulong Start, ulong End, string Name)> _ranges = [];

    /// <summary>Start addresses by name, for the rerun's distances (how far each handed region moved).</summary>
    public Dictionary<string, ulong> Anchors { get; } = [];

    public static HandedRegions Of(GuardedContext context, ulong stackAnchor, IReadOnlyList<BpfMap> maps)
    {
        var handed = new HandedRegions();
        handed.Add("context", (ulong)context.Page, NativePages.PageSize, WideNeighbourhood);
        handed.Add("stack", stackAnchor, 0, WideNeighbourhood);
        for (var m = 0; m < maps.Count; m++)
        {
            handed.Add($"map{m}.handle", (ulong)maps[m].Handle, 16, NarrowNeighbourhood);
            var r = 0;
            foreach (var region in maps[m].ValueRegions)
            {
                handed.Add($"map{m}.region{r++}", (ulong)region.Start, region.Length, NarrowNeighbourhood);
            }
        }
        return handed;
    }

    private void Add(string name, ulong start, ulong length, ulong neighbourhood)
    {
        Anchors[name] = start;
        _ranges.Add((start - Math.Min(start, neighbourhood), start + length + neighbourhood, name));
    }

    public bool Contains(ulong value)
    {
        foreach (var (start, end, _) in _ranges)
        {
            if (value >= start && value < end)
            {
                return true;
            }
        }
        return false;
    }
}
