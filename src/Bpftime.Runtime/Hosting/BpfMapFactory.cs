using System.Runtime.CompilerServices;
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
    /// <summary>
    /// All maps of the object, in its order (ld_imm64 indexes into this list); none are left allocated
    /// on failure. With <paramref name="maxMemory"/>, the maps' total need is checked first (<see cref="CheckMemory"/>).
    /// </summary>
    public static List<BpfMap> CreateAll(IReadOnlyList<MapSpec> specs, string? origin = null, Btf? btf = null, long? maxMemory = null) =>
        new(CreateArray(specs, origin, btf, maxMemory));

    /// <summary>
    /// <see cref="CreateAll"/> as an array, which a load keeps: each framework list type is a family of
    /// types the runtime loads at start-up (docs/startup.md).
    /// </summary>
    internal static BpfMap[] CreateArray(IReadOnlyList<MapSpec> specs, string? origin = null, Btf? btf = null, long? maxMemory = null)
    {
        CheckMemory(specs, maxMemory, origin);
        var maps = new BpfMap[specs.Count];
        var created = 0;
        var hasMapOfMaps = false;
        try
        {
            for (; created < maps.Length; created++)
            {
                var spec = specs[created];
                var map = Create(spec, origin);
                maps[created] = map;
                // A bpf_spin_lock in the value (per the object's BTF) enables BPF_F_LOCK updates.
                if (btf is not null)
                {
                    SetSpinLock(map, btf.SpinLockOffset(spec.ValueTypeId));
                }
                hasMapOfMaps |= spec.Type is MapType.ArrayOfMaps or MapType.HashOfMaps;
            }
            if (hasMapOfMaps)
            {
                FillMapsOfMaps(maps, origin);
            }
            return maps;
        }
        catch
        {
            for (var i = 0; i < created; i++)
            {
                maps[i].Dispose();
            }
            throw;
        }
    }

    // Only with BTF (bytecode objects): without it no map has a lock, and the load of global data alone never names the hash map's types.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SetSpinLock(BpfMap map, int? lockOffset)
    {
        if (map is ArrayMap array)
        {
            array.SpinLockOffset = lockOffset;
        }
        else if (map is HashMap { IsPerCpu: false } hash)
        {
            hash.SpinLockOffset = lockOffset;
        }
    }

    /// <summary>
    /// Gives each map of maps the object's maps by index (host updates) and puts the maps its `.values`
    /// initialiser names into their slots, as libbpf does at load; each must match the inner template (BPF4241).
    /// Only for objects that have one, so that others never load the map of maps' types.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void FillMapsOfMaps(BpfMap[] maps, string? origin)
    {
        foreach (var map in maps)
        {
            if (map is not MapOfMaps outer)
            {
                continue;
            }
            outer.MapResolver = index => index < (uint)maps.Length ? maps[(int)index] : null;
            foreach (var slot in outer.Spec.InitialSlots)
            {
                var inner = Array.Find(maps, m => m.Name == slot.Target && !m.Spec.IsGlobalData)
                    ?? throw BpfException.Create(DiagnosticCodes.MapSlotTargetMissing,
                        $"map of maps '{outer.Name}': slot {slot.Index} names map '{slot.Target}', which the object does not have", origin);
                outer.SetMap(slot.Index, inner);
            }
        }
    }

    /// <summary>
    /// Refuses (BPF4226) maps that together need more than <paramref name="limit"/> bytes, before any is
    /// allocated, naming the largest and the total; null is no limit. The build and the tool use it too.
    /// </summary>
    public static void CheckMemory(IReadOnlyList<MapSpec> specs, long? limit, string? origin = null, string limitName = "BpfLoadOptions.MaxMapMemory")
    {
        ArgumentNullException.ThrowIfNull(specs);
        if (limit is not { } bytes || specs.Count == 0)
        {
            return;
        }
        var total = 0UL;
        for (var i = 0; i < specs.Count; i++)
        {
            total = SaturatingAdd(total, MemoryOf(specs[i]));
        }
        if (total > (ulong)Math.Max(0, bytes))
        {
            throw OverLimit(specs, total, bytes, origin, limitName);
        }
    }

    // Apart from CheckMemory, which every load with a limit runs: a load within the limit never resolves LINQ.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static BpfException OverLimit(IReadOnlyList<MapSpec> specs, ulong total, long bytes, string? origin, string limitName)
    {
        var largest = specs.MaxBy(MemoryOf)!;
        return BpfException.Create(DiagnosticCodes.MapMemoryLimitExceeded,
            $"the object's {specs.Count} map(s) would need {Describe(total)} together, more than {limitName} allows ({Describe((ulong)Math.Max(0, bytes))}); " +
            $"the largest is '{largest.Name}' ({largest.Type}, key {largest.KeySize}, value {largest.ValueSize}, max_entries {largest.MaxEntries}: {Describe(MemoryOf(largest))}). Lower its max_entries or value size, or raise the limit",
            origin);
    }

    /// <summary>
    /// Bytes the runtime allocates for a map of this spec (values with every per-CPU copy, keys, index
    /// and bucket tables, the ring), from the layout alone; saturates at <see cref="ulong.MaxValue"/>
    /// rather than overflowing for absurd specs.
    /// </summary>
    public static ulong MemoryOf(MapSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var entries = (ulong)spec.MaxEntries;
        var value = Stride(spec.ValueSize);
        var key = Stride(spec.KeySize);
        return spec.Type switch
        {
            // Values, plus the u32 keys bpf_for_each_map_elem hands out.
            MapType.Array => SaturatingAdd(Multiply(value, entries), Multiply(4, entries)),
            MapType.PerCpuArray => SaturatingAdd(Multiply(Multiply(value, PerCpuSlots()), entries), Multiply(4, entries)),
            MapType.Hash or MapType.LruHash => HashBytes(key, value, entries, spec.Type == MapType.LruHash),
            MapType.PerCpuHash or MapType.LruPerCpuHash => HashBytes(key, Multiply(value, PerCpuSlots()), entries, spec.Type == MapType.LruPerCpuHash),
            MapType.Queue or MapType.Stack => Multiply(spec.ValueSize, entries),
            MapType.RingBuf => entries,
            MapType.LpmTrie => SaturatingAdd(Multiply(SaturatingAdd(key, value), entries), Multiply(4, entries)),
            MapType.ProgArray => Multiply(8, entries),
            // A reference per slot (hash of maps: and its key); the inner maps are counted where they are declared.
            MapType.ArrayOfMaps or MapType.HashOfMaps => Multiply(SaturatingAdd(key, 8), entries),
            _ => Multiply(SaturatingAdd(key, value), entries),
        };
    }

    /// <summary>Preallocated keys and values, the chain, hash and use arrays (and the LRU list), and the buckets.</summary>
    private static ulong HashBytes(ulong key, ulong element, ulong entries, bool lru)
    {
        var perEntry = SaturatingAdd(SaturatingAdd(key, element), lru ? 18UL : 9UL);
        var buckets = entries == 0 ? 0 : Math.Min(1UL << 24, System.Numerics.BitOperations.RoundUpToPowerOf2(entries));
        return SaturatingAdd(Multiply(perEntry, entries), Multiply(4, buckets));
    }

    // Apart from MemoryOf, so that objects without per-CPU maps never set up the per-CPU slot count.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong PerCpuSlots() => (ulong)PerCpu.SlotCount;

    private static ulong Stride(uint size) => (size + 7UL) & ~7UL;

    private static ulong Multiply(ulong a, ulong b) => Math.BigMul(a, b, out var low) == 0 ? low : ulong.MaxValue;

    private static ulong SaturatingAdd(ulong a, ulong b) => a > ulong.MaxValue - b ? ulong.MaxValue : a + b;

    private static string Describe(ulong bytes) => bytes >= 1UL << 20
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes} bytes ({bytes / (double)(1UL << 20):F1} MiB)")
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes} bytes");

    /// <summary>The map types <see cref="Create"/> makes.</summary>
    public static IReadOnlyList<MapType> Supported { get; } =
    [
        MapType.Array, MapType.PerCpuArray, MapType.Hash, MapType.PerCpuHash, MapType.LruHash, MapType.LruPerCpuHash,
        MapType.Queue, MapType.Stack, MapType.RingBuf, MapType.LpmTrie, MapType.ProgArray, MapType.ArrayOfMaps, MapType.HashOfMaps,
    ];

    public static BpfMap Create(MapSpec spec, string? origin = null) => spec.Type == MapType.Array ? new ArrayMap(spec) : CreateOther(spec, origin);

    // Apart from Create, so that an object of global data alone (arrays) never loads the other map types:
    // precompiled code resolves every type a method names before its first run.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static BpfMap CreateOther(MapSpec spec, string? origin) => spec.Type switch
    {
        MapType.PerCpuArray => new PerCpuArrayMap(spec),
        MapType.Hash or MapType.PerCpuHash or MapType.LruHash or MapType.LruPerCpuHash => new HashMap(spec),
        MapType.Queue or MapType.Stack => new QueueMap(spec),
        MapType.RingBuf => new RingBufferMap(spec),
        MapType.LpmTrie => new LpmTrieMap(spec),
        MapType.ProgArray => new ProgramArrayMap(spec),
        MapType.ArrayOfMaps or MapType.HashOfMaps => new MapOfMaps(spec),
        _ => throw BpfException.Create(DiagnosticCodes.UnsupportedMapType,
            $"map '{spec.Name}' has type {spec.Type} ({(uint)spec.Type}), which this runtime cannot create; supported: {string.Join(", ", Supported)} (and global data)", origin),
    };
}
