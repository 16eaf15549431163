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
    public static List<BpfMap> CreateAll(IReadOnlyList<MapSpec> specs, string? origin = null, Btf? btf = null)
    {
        var maps = new List<BpfMap>(specs.Count);
        try
        {
            foreach (var spec in specs)
            {
                var map = Create(spec, origin);
                maps.Add(map);
                // A bpf_spin_lock in the value (per the object's BTF) enables BPF_F_LOCK updates.
                var lockOffset = BpfSpinLock.FindOffset(btf, spec.ValueTypeId);
                if (map is ArrayMap array)
                {
                    array.SpinLockOffset = lockOffset;
                }
                else if (map is HashMap { IsPerCpu: false } hash)
                {
                    hash.SpinLockOffset = lockOffset;
                }
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

    /// <summary>The map types <see cref="Create"/> makes.</summary>
    public static IReadOnlyList<MapType> Supported { get; } =
    [
        MapType.Array, MapType.PerCpuArray, MapType.Hash, MapType.PerCpuHash, MapType.LruHash, MapType.LruPerCpuHash,
        MapType.Queue, MapType.Stack, MapType.RingBuf, MapType.LpmTrie, MapType.ProgArray,
    ];

    public static BpfMap Create(MapSpec spec, string? origin = null) => spec.Type switch
    {
        MapType.Array => new ArrayMap(spec),
        MapType.PerCpuArray => new PerCpuArrayMap(spec),
        MapType.Hash or MapType.PerCpuHash or MapType.LruHash or MapType.LruPerCpuHash => new HashMap(spec),
        MapType.Queue or MapType.Stack => new QueueMap(spec),
        MapType.RingBuf => new RingBufferMap(spec),
        MapType.LpmTrie => new LpmTrieMap(spec),
        MapType.ProgArray => new ProgramArrayMap(spec),
        _ => throw BpfException.Create(DiagnosticCodes.UnsupportedMapType,
            $"map '{spec.Name}' has type {spec.Type} ({(uint)spec.Type}), which this runtime cannot create; supported: {string.Join(", ", Supported)} (and global data)", origin),
    };
}
