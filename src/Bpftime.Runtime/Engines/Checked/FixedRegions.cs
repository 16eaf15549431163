using Bpftime.Execution;
using Bpftime.Maps;

namespace Bpftime.Engines.Checked;

/// <summary>
/// The value blocks of array, per-CPU array, global-data and hash maps, which stay put for the map's
/// life (<see cref="BpfMap.HasFixedValueRegions"/>), so checked code of every compiling engine may test
/// them inline instead of asking the slow path, which accepts exactly the same regions.
/// </summary>
public static class FixedRegions
{
    /// <summary>Most regions tested inline; more would make every check longer than the call they save.</summary>
    public const int MaxCount = 8;

    /// <summary>
    /// Adds to <paramref name="regions"/> the value blocks of <paramref name="maps"/> that stay put, up to
    /// <see cref="MaxCount"/>, and returns the maps they belong to (the inline test may be used only
    /// while all of them are alive).
    /// </summary>
    public static List<BpfMap> Collect(IEnumerable<BpfMap> maps, List<MemoryRegion> regions)
    {
        var owners = new List<BpfMap>();
        foreach (var map in maps)
        {
            if (!map.IsDisposed && map.HasFixedValueRegions && regions.Count + map.ValueRegions.Count() <= MaxCount)
            {
                owners.Add(map);
                regions.AddRange(map.ValueRegions);
            }
        }
        return owners;
    }
}
