using Bpftime.Diagnostics;
using Bpftime.Maps;
using Bpftime.Objects;

namespace Bpftime.Hosting;

/// <summary>Creates the runtime map for each map an object declares.</summary>
internal static class MapFactory
{
    /// <summary>All maps of the object, in its order (ld_imm64 indexes into this list); none are left allocated on failure.</summary>
    public static List<BpfMap> CreateAll(IReadOnlyList<MapSpec> specs, string? origin)
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

    private static BpfMap Create(MapSpec spec, string? origin) => spec.Type switch
    {
        MapType.Array => new ArrayMap(spec),
        _ => throw BpfException.Create(DiagnosticCodes.UnsupportedMapType,
            $"map '{spec.Name}' has type {spec.Type} ({(uint)spec.Type}), which this runtime cannot create yet; supported: Array (and global data)", origin),
    };
}
