using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Bpftime.Diagnostics;
using Bpftime.Maps;
using Bpftime.Objects;

namespace Bpftime.Hosting;

/// <summary>
/// An ARRAY_OF_MAPS or HASH_OF_MAPS map: each slot under a <typeparamref name="TKey"/> holds another
/// map, handed out as the typed view <typeparamref name="TInner"/> (say, a <see cref="BpfArrayView{TValue}"/>
/// of the inner template's value struct). Only maps that match the object's inner map template go in
/// (Linux's checks, BPF4241), so what the verifier proved against the template holds for every map a
/// program reaches; a slot whose map was disposed reads as empty.
/// </summary>
public sealed class BpfMapOfMapsView<TKey, TInner> : IEnumerable<KeyValuePair<TKey, TInner>>
    where TKey : unmanaged
    where TInner : class
{
    private readonly MapOfMaps _map;
    private readonly Func<BpfMap, TInner> _open;
    private readonly Func<TInner, BpfMap> _mapOf;

    internal BpfMapOfMapsView(BpfMap map, Func<BpfMap, TInner> open, Func<TInner, BpfMap> mapOf)
    {
        ArgumentNullException.ThrowIfNull(open);
        ArgumentNullException.ThrowIfNull(mapOf);
        _map = MapViewChecks.Kind<MapOfMaps>(map, "AsMapOfMaps");
        MapViewChecks.Size<TKey>(map, "key", map.KeySize);
        _open = open;
        _mapOf = mapOf;
    }

    public BpfMap Map => _map;

    /// <summary>The layout every inner map must have, or null when the object declares none (the map then holds nothing).</summary>
    public MapSpec? InnerTemplate => _map.InnerTemplate;

    /// <summary>The inner map under <paramref name="key"/> as <typeparamref name="TInner"/>; false for an empty slot or a map disposed since it was put there.</summary>
    public bool TryGet(in TKey key, [MaybeNullWhen(false)] out TInner inner)
    {
        var map = _map.GetMap(Bytes(in key));
        inner = null;
        try
        {
            inner = map is null ? null : _open(map);
        }
        catch (ObjectDisposedException) when (map!.IsDisposed)
        {
            // Disposed by another thread since the slot was read: as empty as a slot read after.
        }
        return inner is not null;
    }

    /// <summary>
    /// The inner map under <paramref name="key"/>; setting puts a map there (BPF_ANY) and throws
    /// BPF4123 when the map of maps refuses the slot (an index past the end, a full hash of maps).
    /// </summary>
    public TInner this[TKey key]
    {
        get => TryGet(in key, out var inner) ? inner : throw new KeyNotFoundException($"map of maps '{_map.Name}' holds no live map under {key}");
        set
        {
            var result = Set(in key, value);
            if (result != 0)
            {
                throw new BpfException(new BpfDiagnostic(DiagnosticCodes.MapOfMapsSlotRefused,
                    $"map of maps '{_map.Name}' refused a map under {key}: {Refusal(result)}; use a key below max_entries ({_map.MaxEntries}), or delete a slot first"));
            }
        }
    }

    /// <summary>Whether a live map sits under <paramref name="key"/>.</summary>
    public bool ContainsKey(in TKey key) => _map.GetMap(Bytes(in key)) is not null;

    /// <summary>
    /// Puts the map behind <paramref name="inner"/> under <paramref name="key"/>: 0, or the kernel's
    /// negative errno (-E2BIG past the end or when full, -EEXIST or -ENOENT for the flags, -EINVAL for
    /// flags an array refuses). A map that does not match the template, or is disposed, is refused with BPF4241.
    /// </summary>
    public int Set(in TKey key, TInner inner, ulong flags = MapUpdateFlags.Any)
    {
        ArgumentNullException.ThrowIfNull(inner);
        return SetMap(in key, _mapOf(inner), flags);
    }

    /// <summary><see cref="Set"/> with a map given as itself (a map of another object, or one made by <see cref="CreateInnerMap"/>).</summary>
    public int SetMap(in TKey key, BpfMap inner, ulong flags = MapUpdateFlags.Any)
    {
        ArgumentNullException.ThrowIfNull(inner);
        return _map.SetMap(Bytes(in key), inner, flags);
    }

    /// <summary>Empties the slot: 0, or -ENOENT when it held nothing (-E2BIG past the end of an array). The map it held lives on.</summary>
    public int Delete(in TKey key) => _map.Delete(Bytes(in key));

    /// <summary>The keys whose slots hold a live map.</summary>
    public IEnumerable<TKey> Keys
    {
        get
        {
            var key = new byte[_map.KeySize];
            var next = new byte[_map.KeySize];
            for (var status = _map.GetNextKey([], next); status == 0; status = _map.GetNextKey(key, next))
            {
                if (_map.GetMap(next) is not null)
                {
                    yield return MemoryMarshal.Read<TKey>(next);
                }
                (key, next) = (next, key);
            }
        }
    }

    /// <summary>
    /// A new, empty map with the inner template's layout, named <paramref name="name"/>, that can go
    /// into any slot. The caller owns it (dispose its <c>Map</c>); a slot holding it reads as empty
    /// once it is disposed. <paramref name="maxEntries"/> may differ from the template's only when the
    /// template has BPF_F_INNER_MAP (BPF4241 otherwise); with no template, BPF4240.
    /// </summary>
    public TInner CreateInnerMap(string name, uint? maxEntries = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ObjectDisposedException.ThrowIf(_map.IsDisposed, _map);
        var template = _map.InnerTemplate ?? throw new BpfException(new BpfDiagnostic(DiagnosticCodes.MapOfMapsWithoutTemplate,
            $"map of maps '{_map.Name}' declares no inner map template (__array(values, struct {{ ... }})), so no map can go into it; declare the inner map in the object"));
        var entries = maxEntries ?? template.MaxEntries;
        if (entries != template.MaxEntries && (template.Flags & MapOfMaps.InnerMapFlag) == 0)
        {
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.InnerMapIncompatible,
                $"map of maps '{_map.Name}' takes inner maps of exactly {template.MaxEntries} entries (its template lacks BPF_F_INNER_MAP), not {entries}; leave maxEntries unset"));
        }
        var map = BpfMapFactory.Create(template with { Name = name, MaxEntries = entries, InitialSlots = [], InitialValue = null });
        try
        {
            // The lock's place is part of the layout the template fixes (the factory takes it from BTF for the object's own maps).
            if (map is ArrayMap array)
            {
                array.SpinLockOffset = template.SpinLockOffset;
            }
            else if (map is HashMap { IsPerCpu: false } hash)
            {
                hash.SpinLockOffset = template.SpinLockOffset;
            }
            return _open(map);
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    public IEnumerator<KeyValuePair<TKey, TInner>> GetEnumerator()
    {
        foreach (var key in Keys)
        {
            if (TryGet(in key, out var inner))
            {
                yield return KeyValuePair.Create(key, inner);
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static string Refusal(int result) => -result switch
    {
        Errno.E2BIG => "-E2BIG (past the end, or every entry taken)",
        Errno.EINVAL => "-EINVAL",
        Errno.EEXIST => "-EEXIST",
        Errno.ENOENT => "-ENOENT",
        _ => result.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static ReadOnlySpan<byte> Bytes(in TKey key) => MemoryMarshal.AsBytes(new ReadOnlySpan<TKey>(in key));
}
