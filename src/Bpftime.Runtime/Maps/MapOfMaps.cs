using System.Buffers.Binary;
using Bpftime.Diagnostics;
using Bpftime.Execution;
using Bpftime.Objects;

namespace Bpftime.Maps;

/// <summary>
/// BPF_MAP_TYPE_ARRAY_OF_MAPS and BPF_MAP_TYPE_HASH_OF_MAPS: values are other maps, each compatible
/// with the inner map template the object declares (<see cref="MapSpec.InnerMap"/>), so that what the
/// verifier proved against the template holds for whatever map a slot holds. A program's lookup answers
/// the inner map's <see cref="BpfMap.Handle"/> (NULL for an empty slot or a disposed map): a value only
/// helpers accept as a map, never memory the program may read or write; programs cannot change the
/// slots (the helpers refuse update and delete), only the host can (<see cref="SetMap"/>,
/// <see cref="Update"/> with a map index, <see cref="Delete"/>).
/// </summary>
public sealed class MapOfMaps : BpfMap
{
    /// <summary>BPF_F_INNER_MAP: inner maps may differ from the template in max_entries.</summary>
    public const uint InnerMapFlag = 1u << 12;

    private readonly Lock _lock = new();
    private readonly BpfMap?[]? _slots;
    private readonly Dictionary<byte[], BpfMap>? _entries;
    private readonly Dictionary<byte[], BpfMap>.AlternateLookup<ReadOnlySpan<byte>> _byKey;
    private Held _held = new([], [], true);

    /// <summary>The maps the slots hold and the value memory programs reach through them, replaced as a whole on every change.</summary>
    private sealed record Held(BpfMap[] Maps, MemoryRegion[] Regions, bool Fixed);

    public MapOfMaps(MapSpec spec)
        : base(MapChecks.OfType(spec, MapType.ArrayOfMaps, MapType.HashOfMaps))
    {
        MapChecks.Require(spec, spec.ValueSize == 4, $"needs a 4-byte value, a map id (has {spec.ValueSize})");
        MapChecks.Require(spec, spec.MaxEntries is > 0 and <= 1 << 20, $"needs 1 to {1 << 20} entries (has {spec.MaxEntries})");
        MapChecks.Require(spec, spec.InnerMap is not { Type: MapType.ArrayOfMaps or MapType.HashOfMaps or MapType.ProgArray },
            $"names a {spec.InnerMap?.Type} as its inner map; maps of maps hold data maps only");
        if (spec.Type == MapType.ArrayOfMaps)
        {
            MapChecks.Require(spec, spec.KeySize == 4, $"needs a 4-byte key (has {spec.KeySize})");
            _slots = new BpfMap?[spec.MaxEntries];
        }
        else
        {
            MapChecks.Require(spec, spec.KeySize is > 0 and <= 512, $"needs a key of 1 to 512 bytes (has {spec.KeySize})");
            _entries = new Dictionary<byte[], BpfMap>(KeyComparer.Instance);
            _byKey = _entries.GetAlternateLookup<ReadOnlySpan<byte>>();
        }
    }

    /// <summary>
    /// The template every inner map must match; null when the object declares none, and then the map
    /// holds nothing (a program's lookups answer NULL), since nothing says what its programs may do with an inner map.
    /// </summary>
    public MapSpec? InnerTemplate => Spec.InnerMap;

    /// <summary>Turns a map index given as a host update's value into the map; set by the object that owns the map.</summary>
    public Func<uint, BpfMap?>? MapResolver { get; set; }

    /// <summary>
    /// Why <paramref name="inner"/> cannot be held (the checks Linux makes against the template: type,
    /// key size, value size, flags, max_entries unless the template has BPF_F_INNER_MAP, and the
    /// bpf_spin_lock's place), or null when it can.
    /// </summary>
    public string? Incompatibility(BpfMap inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (InnerTemplate is not { } template)
        {
            return $"map of maps '{Name}' declares no inner map template (__array(values, struct {{ ... }}) or inner_map_idx), so it can hold no map";
        }
        if (inner.IsDisposed)
        {
            return $"map '{inner.Name}' is disposed";
        }
        if (inner is MapOfMaps or ProgramArrayMap)
        {
            return $"map '{inner.Name}' is a {inner.Type}; maps of maps hold data maps only";
        }
        var spec = inner.Spec;
        var differences = new List<string>();
        if (spec.Type != template.Type)
        {
            differences.Add($"type {spec.Type}, not {template.Type}");
        }
        if (spec.KeySize != template.KeySize)
        {
            differences.Add($"key size {spec.KeySize}, not {template.KeySize}");
        }
        if (spec.ValueSize != template.ValueSize)
        {
            differences.Add($"value size {spec.ValueSize}, not {template.ValueSize}");
        }
        if (spec.Flags != template.Flags || inner.IsReadOnlyForPrograms != template.IsReadOnlyForPrograms)
        {
            differences.Add($"flags 0x{spec.Flags:x}, not 0x{template.Flags:x}");
        }
        if (spec.MaxEntries != template.MaxEntries && (template.Flags & InnerMapFlag) == 0)
        {
            differences.Add($"max_entries {spec.MaxEntries}, not {template.MaxEntries} (the template lacks BPF_F_INNER_MAP)");
        }
        var lockOffset = inner switch
        {
            ArrayMap array => array.SpinLockOffset,
            HashMap hash => hash.SpinLockOffset,
            _ => spec.SpinLockOffset,
        };
        if (lockOffset != template.SpinLockOffset)
        {
            differences.Add($"a bpf_spin_lock at {lockOffset?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no offset"}, not at {template.SpinLockOffset?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no offset"}");
        }
        return differences.Count == 0 ? null
            : $"map '{inner.Name}' does not match the inner map template of '{Name}': {string.Join("; ", differences)}";
    }

    /// <summary>
    /// Puts <paramref name="inner"/> under <paramref name="key"/>, with the kernel's answers for
    /// <paramref name="flags"/> (arrays take BPF_ANY only); a map that does not match the template is
    /// refused with BPF4241.
    /// </summary>
    public int SetMap(ReadOnlySpan<byte> key, BpfMap inner, ulong flags = MapUpdateFlags.Any)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        MapChecks.Key(this, key);
        if (Incompatibility(inner) is { } why)
        {
            throw new BpfException(new BpfDiagnostic(InnerTemplate is null ? DiagnosticCodes.MapOfMapsWithoutTemplate : DiagnosticCodes.InnerMapIncompatible,
                InnerTemplate is null ? $"{why}; declare the inner map in the object" : $"{why}; create the inner map with the template's layout ({InnerTemplate})"));
        }
        lock (_lock)
        {
            if (_slots is not null)
            {
                var index = BinaryPrimitives.ReadUInt32LittleEndian(key);
                if (flags != MapUpdateFlags.Any)
                {
                    return -Errno.EINVAL;
                }
                if (index >= _slots.Length)
                {
                    return -Errno.E2BIG;
                }
                _slots[index] = inner;
            }
            else
            {
                if (flags > MapUpdateFlags.Exist)
                {
                    return -Errno.EINVAL;
                }
                var present = _byKey.ContainsKey(key);
                if (flags == MapUpdateFlags.NoExist && present)
                {
                    return -Errno.EEXIST;
                }
                if (flags == MapUpdateFlags.Exist && !present)
                {
                    return -Errno.ENOENT;
                }
                if (!present && _entries!.Count >= MaxEntries)
                {
                    return -Errno.E2BIG;
                }
                _byKey[key] = inner;
            }
            Republish();
        }
        return 0;
    }

    /// <summary><see cref="SetMap(ReadOnlySpan{byte}, BpfMap, ulong)"/> with a u32 key.</summary>
    public int SetMap(uint key, BpfMap inner, ulong flags = MapUpdateFlags.Any)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, key);
        return SetMap(bytes, inner, flags);
    }

    /// <summary>The live map under <paramref name="key"/>, or null (absent, or disposed since it was put there).</summary>
    public BpfMap? GetMap(ReadOnlySpan<byte> key)
    {
        MapChecks.Key(this, key);
        BpfMap? inner;
        lock (_lock)
        {
            if (_slots is not null)
            {
                var index = BinaryPrimitives.ReadUInt32LittleEndian(key);
                inner = index < _slots.Length ? _slots[index] : null;
            }
            else
            {
                _byKey.TryGetValue(key, out inner);
            }
        }
        return inner is { IsDisposed: false } ? inner : null;
    }

    /// <summary><see cref="GetMap(ReadOnlySpan{byte})"/> with a u32 key.</summary>
    public BpfMap? GetMap(uint key)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, key);
        return GetMap(bytes);
    }

    /// <summary>Whether a slot holds <paramref name="map"/>, live: a checked run may pass a map it reached through one of its own maps of maps.</summary>
    public bool Holds(BpfMap map) => !map.IsDisposed && Array.IndexOf(Volatile.Read(ref _held).Maps, map) >= 0;

    /// <summary>The inner map's handle (what a program gets), or 0: an empty slot, or a map disposed since.</summary>
    public override nint Lookup(ReadOnlySpan<byte> key) => GetMap(key)?.Handle ?? 0;

    /// <summary>The host's update: a 4-byte value names a map by its index in the object (the role a map's file descriptor plays in the kernel).</summary>
    public override int Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags)
    {
        if (value.Length != 4)
        {
            throw MapChecks.WrongSize(this, "value", value.Length, 4);
        }
        var mapIndex = BinaryPrimitives.ReadUInt32LittleEndian(value);
        var inner = MapResolver?.Invoke(mapIndex) ?? throw new BpfException(new BpfDiagnostic(DiagnosticCodes.InnerMapIncompatible,
            $"map of maps '{Name}': no map with index {mapIndex} in its object; give the index of one of the object's maps, or use SetMap with a map"));
        return SetMap(key, inner, flags);
    }

    public override int Delete(ReadOnlySpan<byte> key)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        MapChecks.Key(this, key);
        lock (_lock)
        {
            bool removed;
            if (_slots is not null)
            {
                var index = BinaryPrimitives.ReadUInt32LittleEndian(key);
                if (index >= _slots.Length)
                {
                    return -Errno.E2BIG;
                }
                removed = _slots[index] is not null;
                _slots[index] = null;
            }
            else
            {
                removed = _byKey.Remove(key);
            }
            if (!removed)
            {
                return -Errno.ENOENT;
            }
            Republish();
            return 0;
        }
    }

    public override int GetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey)
    {
        if (_slots is not null)
        {
            return ArrayIteration.NextKey(this, key, nextKey);
        }
        if (nextKey.Length != KeySize)
        {
            throw MapChecks.WrongSize(this, "next key", nextKey.Length, KeySize);
        }
        lock (_lock)
        {
            var take = key.IsEmpty || !_byKey.ContainsKey(key);
            foreach (var candidate in _entries!.Keys)
            {
                if (take)
                {
                    candidate.CopyTo(nextKey);
                    return 0;
                }
                take = candidate.AsSpan().SequenceEqual(key);
            }
            return -Errno.ENOENT;
        }
    }

    /// <summary>
    /// The value memory of the maps the slots hold now: what a program reaches through this map. It
    /// changes with the slots, so engines ask for it on each access instead of keeping a copy.
    /// </summary>
    public override IEnumerable<MemoryRegion> ValueRegions
    {
        get
        {
            var held = Volatile.Read(ref _held);
            foreach (var map in held.Maps)
            {
                if (map.IsDisposed)
                {
                    // A held map was disposed by the host: its memory is gone, so it leaves the regions.
                    lock (_lock)
                    {
                        Republish();
                        held = _held;
                    }
                    break;
                }
            }
            // Maps whose regions move (a ring buffer's records) are asked each time.
            return held.Fixed ? held.Regions : [.. held.Maps.Where(m => !m.IsDisposed).SelectMany(m => m.ValueRegions)];
        }
    }

    public override bool HoldsMaps => true;

    private void Republish()
    {
        IEnumerable<BpfMap?> maps = _slots is not null ? _slots : _entries!.Values;
        var live = maps.OfType<BpfMap>().Where(m => !m.IsDisposed).Distinct().ToArray();
        var stays = live.All(m => m.HasFixedValueRegions);
        Volatile.Write(ref _held, new Held(live, stays ? [.. live.SelectMany(m => m.ValueRegions)] : [], stays));
    }

    protected override void Dispose(bool disposing)
    {
        lock (_lock)
        {
            if (_slots is not null)
            {
                Array.Clear(_slots);
            }
            _entries?.Clear();
            Volatile.Write(ref _held, new Held([], [], true));
        }
        base.Dispose(disposing);
    }

    /// <summary>Hash-of-maps keys compared by their bytes; spans find stored keys without copying.</summary>
    private sealed class KeyComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static KeyComparer Instance { get; } = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => GetHashCode((ReadOnlySpan<byte>)obj);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var hash = new HashCode();
            hash.AddBytes(alternate);
            return hash.ToHashCode();
        }

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
