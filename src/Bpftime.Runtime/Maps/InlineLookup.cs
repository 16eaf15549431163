using System.Globalization;
using System.Runtime.InteropServices;
using Bpftime.Objects;

namespace Bpftime.Maps;

/// <summary>The map kinds whose bpf_map_lookup_elem compiled code may do itself, without calling the helper.</summary>
public enum InlineLookupKind
{
    Array = 1,
    PerCpuArray = 2,
    Hash = 3,
    PerCpuHash = 4,
    LruHash = 5,
    LruPerCpuHash = 6,
}

/// <summary>
/// The memory layout that code doing a map's lookups itself relies on: for arrays (global data
/// included) the value block, value i at i x stride (per-CPU: slot s of value i at
/// (i x slots + s) x stride); for hash maps the one block of <see cref="HashMap"/> (version,
/// buckets, chains, hashes, referenced marks, keys, values, and for LRU maps the recency links),
/// whose offsets follow from the spec (the recency links' also from the slot count).
/// Everything but the processor count follows from kind, key size, value size and max entries, so
/// the code is compiled against these four, and the storage symbol that binds the block's address
/// carries them in its name: a linker refuses to bind it to a map whose layout differs
/// (<see cref="Mismatch"/>), whatever the object's metadata says. The symbol binds to the map's
/// <see cref="BpfMap.StorageCell"/>, from which the code reads the storage address: 0 (a disposed
/// map) makes the lookup answer NULL, as the helper answers for a map that no longer exists.
/// </summary>
public sealed record InlineLookup(InlineLookupKind Kind, uint KeySize, uint ValueSize, uint MaxEntries)
{
    /// <summary>Prefix of the storage symbols: <c>_bpf_map_inline_N_kind_key_value_entries</c>.</summary>
    public const string SymbolPrefix = "_bpf_map_inline_";

    /// <summary>Data symbol whose address is the number of per-CPU slots (<see cref="PerCpu.SlotCount"/>), not a location.</summary>
    public const string SlotCountSymbol = "_bpf_percpu_slots";

    /// <summary>Function <c>int f(void)</c>: the processor the thread runs on (sched_getcpu), which modulo the slot count is the slot the helper uses.</summary>
    public const string CurrentCpuSymbol = "_bpf_current_cpu";

    /// <summary>Hash maps: bytes before the bucket array (the version word, alone on its cache line).</summary>
    public const int HashHeaderBytes = 64;

    /// <summary>Hash maps: an empty bucket or the end of a chain (and of the free list).</summary>
    public const int HashEnd = -1;

    /// <summary>Hash maps: the header's word holding the first free element (linked through the chains' next words), or <see cref="HashEnd"/> when the map is full.</summary>
    public const int HashFreeOffset = 4;

    /// <summary>Hash maps: the header's word holding how many keys the map holds.</summary>
    public const int HashCountOffset = 8;

    /// <summary>
    /// Hash maps: the stored hash of an element that holds no key (hashes of keys are 31 bits, never
    /// negative), so no walk that compares hashes matches it. Compiled lookups compare keys alone: a
    /// free element is in no chain, and the version check rejects a walk a writer changed meanwhile.
    /// </summary>
    public const int FreeHash = -1;

    /// <summary>Hash maps with 4- or 8-byte keys: the hash of key k (zero-extended) is (k x this) >> <see cref="HashShift"/>, 31 bits.</summary>
    public const ulong HashMultiplier = 0x9E3779B97F4A7C15UL;

    /// <summary>See <see cref="HashMultiplier"/>.</summary>
    public const int HashShift = 33;

    public bool IsPerCpu => Kind is InlineLookupKind.PerCpuArray or InlineLookupKind.PerCpuHash or InlineLookupKind.LruPerCpuHash;

    public bool IsHash => Kind is InlineLookupKind.Hash or InlineLookupKind.PerCpuHash or InlineLookupKind.LruHash or InlineLookupKind.LruPerCpuHash;

    public bool IsLru => Kind is InlineLookupKind.LruHash or InlineLookupKind.LruPerCpuHash;

    /// <summary>Bytes between two values (per-CPU: between two slots of one value).</summary>
    public ulong ValueStride => MapChecks.Stride(ValueSize);

    public ulong KeyStride => MapChecks.Stride(KeySize);

    /// <summary>Hash maps: a power of two, at least max entries (at most 2^24).</summary>
    public int BucketCount => (int)Math.Min(1U << 24, System.Numerics.BitOperations.RoundUpToPowerOf2(MaxEntries));

    public static ulong BucketsOffset => HashHeaderBytes;

    public ulong NextOffset => BucketsOffset + (4UL * (ulong)BucketCount);

    public ulong HashesOffset => NextOffset + (4UL * MaxEntries);

    public ulong ReferencedOffset => HashesOffset + (4UL * MaxEntries);

    public ulong KeysOffset => (ReferencedOffset + MaxEntries + 7UL) & ~7UL;

    /// <summary>Hash maps: where the values start (last, so that only their size depends on the slot count).</summary>
    public ulong ValuesOffset => (KeysOffset + (KeyStride * MaxEntries) + 63UL) & ~63UL;

    /// <summary>LRU hash maps: the header's word holding the hot end of the recency list (the most recently used element), or <see cref="HashEnd"/> when the map is empty.</summary>
    public const int LruHeadOffset = 12;

    /// <summary>LRU hash maps: the header's word holding the cold end of the recency list (the next to evict), or <see cref="HashEnd"/>.</summary>
    public const int LruTailOffset = 16;

    /// <summary>LRU hash maps: bytes of an element's recency links, the previous (hotter) element's index then the next (colder) one's, <see cref="HashEnd"/> at either end.</summary>
    public const int LruLinkBytes = 8;

    /// <summary>
    /// LRU hash maps: where the recency links lie, after the values (<see cref="LruLinkBytes"/> per
    /// element), so that only this offset depends on the slot count of per-CPU maps.
    /// </summary>
    public ulong LruLinksOffset(ulong slotCount) => ValuesOffset + (ValueStride * (IsPerCpu ? slotCount : 1) * MaxEntries);

    /// <summary>Largest value an update compiled into the code copies itself (in at most eight loads, all before the stores).</summary>
    public const uint MaxInlineUpdateBytes = 64;

    /// <summary>
    /// Whether generated code can do this map's bpf_map_update_elem itself, for values of at most
    /// <see cref="MaxInlineUpdateBytes"/>: plain arrays (global data included), per-CPU arrays (the
    /// copy of the processor the code runs on, as the helper picks it), and hash maps with 4- or
    /// 8-byte keys (under the map's lock, which the code only tries: the value of a key present replaced,
    /// an absent key inserted while a free element remains; their bpf_map_delete_elem too). The code
    /// does it only while the map's <see cref="BpfMap.StorageCell"/> offers word 1 (arrays: where to
    /// write; hash maps: the lock word), which a map gives only when programs may write it and its
    /// values hold no bpf_spin_lock. Per-CPU hash maps are updated as plain ones, in the copy of the
    /// processor the code runs on. LRU hash maps are updated as hash maps, with the element moved to
    /// the hot end of the recency list (in the block too), a full one evicting as the map does.
    /// </summary>
    public bool CanInlineUpdate => CanInline && ValueSize <= MaxInlineUpdateBytes;

    /// <summary>
    /// The loads and stores that copy a value of <paramref name="size"/> bytes: (offset, width) pieces
    /// of 8, 4, 2 and 1 bytes. Code loads every piece before it stores any, so a source that overlaps
    /// the target (a value of the same map) is copied as the helper's memmove copies it.
    /// </summary>
    public static IReadOnlyList<(int Offset, int Width)> CopyPieces(uint size)
    {
        var pieces = new List<(int, int)>();
        var offset = 0;
        foreach (var width in (ReadOnlySpan<int>)[8, 4, 2, 1])
        {
            for (; size - (uint)offset >= (uint)width; offset += width)
            {
                pieces.Add((offset, width));
            }
        }
        return pieces;
    }

    /// <summary>Whether generated code can do this map's lookups: arrays always, hash maps with 4- or 8-byte keys (the hash other sizes take is seeded per process).</summary>
    public bool CanInline => !IsHash || KeySize is 4 or 8;

    /// <summary>
    /// The symbol for map <paramref name="mapIndex"/> in code compiled against this layout: bound to the
    /// map's <see cref="BpfMap.StorageCell"/>, the word holding the storage address (0 once disposed).
    /// </summary>
    public string SymbolFor(int mapIndex) =>
        string.Create(CultureInfo.InvariantCulture, $"{SymbolPrefix}{mapIndex}_{(int)Kind}_{KeySize}_{ValueSize}_{MaxEntries}");

    /// <summary>Reads a storage symbol back: the map index and the layout the code was compiled against.</summary>
    public static bool TryParseSymbol(string name, out int mapIndex, out InlineLookup? layout)
    {
        mapIndex = 0;
        layout = null;
        if (!name.StartsWith(SymbolPrefix, StringComparison.Ordinal))
        {
            return false;
        }
        var parts = name[SymbolPrefix.Length..].Split('_');
        if (parts.Length != 5
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out mapIndex)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var kind)
            || !Enum.IsDefined((InlineLookupKind)kind)
            || !uint.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var keySize)
            || !uint.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var valueSize)
            || !uint.TryParse(parts[4], NumberStyles.None, CultureInfo.InvariantCulture, out var maxEntries))
        {
            return false;
        }
        layout = new InlineLookup((InlineLookupKind)kind, keySize, valueSize, maxEntries);
        return true;
    }

    /// <summary>The layout compiled code may assume for a map of this spec (AOT: the live map is checked at link), or null.</summary>
    public static InlineLookup? ForSpec(MapSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        InlineLookupKind? kind = spec.Type switch
        {
            MapType.Array => InlineLookupKind.Array,
            MapType.PerCpuArray => InlineLookupKind.PerCpuArray,
            MapType.Hash => InlineLookupKind.Hash,
            MapType.PerCpuHash => InlineLookupKind.PerCpuHash,
            MapType.LruHash => InlineLookupKind.LruHash,
            MapType.LruPerCpuHash => InlineLookupKind.LruPerCpuHash,
            _ => null,
        };
        if (kind is null || spec.KeySize == 0 || spec.ValueSize == 0 || spec.MaxEntries == 0)
        {
            return null;
        }
        var layout = new InlineLookup(kind.Value, spec.KeySize, spec.ValueSize, spec.MaxEntries);
        return layout.CanInline ? layout : null;
    }

    /// <summary>The layout of a live map when it is one of the runtime's own array or hash maps, or null (other classes keep the helper).</summary>
    public static InlineLookup? ForMap(BpfMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        return map is (ArrayMap or PerCpuArrayMap or HashMap) && !map.IsDisposed ? ForSpec(map.Spec) : null;
    }

    /// <summary>The address the storage symbol binds to: an array's first value, a hash map's block.</summary>
    public static nint StorageOf(BpfMap map) => map switch
    {
        ArrayMap array => array.StorageAddress,
        PerCpuArrayMap perCpu => perCpu.StorageAddress,
        HashMap hash => hash.StorageAddress,
        _ => 0,
    };

    /// <summary>Why <paramref name="map"/> cannot be bound for code compiled against this layout, or null when it can.</summary>
    public string? Mismatch(BpfMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (map.IsDisposed)
        {
            return $"map '{map.Name}' is disposed";
        }
        var actual = ForMap(map);
        if (actual is null)
        {
            return $"map '{map.Name}' is a {map.Type} map ({map.GetType().Name}) whose lookups compiled code cannot do, but the code was compiled for {Describe()}";
        }
        return actual == this ? null : $"the code was compiled for {Describe()}, but map '{map.Name}' is {actual.Describe()}";
    }

    public string Describe() =>
        string.Create(CultureInfo.InvariantCulture, $"a {Kind} map of {KeySize}-byte keys, {ValueSize}-byte values and {MaxEntries} entries");

    /// <summary>The native address of sched_getcpu (bound to <see cref="CurrentCpuSymbol"/>).</summary>
    public static nint CurrentCpuEntry => s_currentCpu.Value;

    private static readonly Lazy<nint> s_currentCpu = new(() =>
        NativeLibrary.TryLoad("libc.so.6", out var libc) && NativeLibrary.TryGetExport(libc, "sched_getcpu", out var entry)
            ? entry
            : throw new PlatformNotSupportedException("sched_getcpu is not available in libc.so.6; per-CPU lookups cannot be compiled inline on this host"));
}
