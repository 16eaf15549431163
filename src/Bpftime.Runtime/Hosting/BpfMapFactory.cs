using Bpftime.Diagnostics;
using Bpftime.Maps;
using Bpftime.Objects;

namespace Bpftime.Hosting;

/// <summary>
/// Creates the runtime map for each map an object declares. Unsupported types are refused with
/// BPF4101 naming the map and its type (the build's link check uses the same rule).
/// </summary>
public static class BpfMapFactory
{
    /// <summary>All maps of the object, in its order (ld_imm64 indexes into this list); none are left allocated on failure.</summary>
    public static List<BpfMap> CreateAll(IReadOnlyList<MapSpec> specs, string? origin = null)
    {
        var maps = new List<BpfMap>(specs.Count);
        try
        {
            foreach (var spec in specs)
            {
                maps.Add(Create(spec, origin));
            }
            return maps;
        }
        catch
        {
            foreach (var map in maps)
            {
                map.Dispose();
            }
            throw;
        }
    }

    public static BpfMap Create(MapSpec spec, string? origin = null) => spec.Type switch
    {
        MapType.Array => new ArrayMap(spec),
        _ => throw BpfException.Create(DiagnosticCodes.UnsupportedMapType,
            $"map '{spec.Name}' has type {spec.Type} ({(uint)spec.Type}), which this runtime cannot create yet; supported: Array (and global data)", origin),
    };
}
