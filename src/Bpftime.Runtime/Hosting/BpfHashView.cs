using System.Collections;
using System.Runtime.InteropServices;
using Bpftime.Maps;

namespace Bpftime.Hosting;

/// <summary>
/// A keyed map (HASH, LRU_HASH, LPM_TRIE) seen as <typeparamref name="TKey"/> to <typeparamref name="TValue"/>.
/// Iteration follows the map's next-key order and tolerates concurrent changes, as BPF_MAP_GET_NEXT_KEY does.
/// </summary>
public sealed unsafe class BpfHashView<TKey, TValue> : IEnumerable<KeyValuePair<TKey, TValue>>
    where TKey : unmanaged
    where TValue : unmanaged
{
    private readonly BpfMap _map;

    internal BpfHashView(BpfMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        ObjectDisposedException.ThrowIf(map.IsDisposed, map);
        if (map is not (HashMap { IsPerCpu: false } or LpmTrieMap))
        {
            MapViewChecks.Kind<HashMap>(map, "AsHash");
            throw new Diagnostics.BpfException(new Diagnostics.BpfDiagnostic(Diagnostics.DiagnosticCodes.MapViewMismatch,
                $"map '{map.Name}' is per-CPU ({map.Type}); use AsPerCpuHash"));
        }
        _map = map;
        MapViewChecks.Size<TKey>(map, "key", map.KeySize);
        MapViewChecks.Size<TValue>(map, "value", map.ValueSize);
    }

    public BpfMap Map => _map;

    public bool TryGetValue(in TKey key, out TValue value)
    {
        var address = _map.Lookup(Bytes(in key));
        value = address == 0 ? default : *(TValue*)address;
        return address != 0;
    }

    public TValue this[TKey key]
    {
        get => TryGetValue(in key, out var value) ? value : throw new KeyNotFoundException($"map '{_map.Name}' has no entry for {key}");
        set => Update(in key, in value);
    }

    public bool ContainsKey(in TKey key) => _map.Lookup(Bytes(in key)) != 0;

    /// <summary>The map's update: 0, or the kernel's negative errno (-EEXIST, -ENOENT, -E2BIG, -EINVAL).</summary>
    public int Update(in TKey key, in TValue value, ulong flags = MapUpdateFlags.Any) =>
        _map.Update(Bytes(in key), MemoryMarshal.AsBytes(new ReadOnlySpan<TValue>(in value)), flags);

    /// <summary>0, or -ENOENT.</summary>
    public int Delete(in TKey key) => _map.Delete(Bytes(in key));

    public IEnumerable<TKey> Keys
    {
        get
        {
            var key = default(TKey);
            var next = default(TKey);
            var first = true;
            while (_map.GetNextKey(first ? [] : Bytes(in key), MemoryMarshal.AsBytes(new Span<TKey>(ref next))) == 0)
            {
                yield return next;
                key = next;
                first = false;
            }
        }
    }

    /// <summary>Up to <paramref name="maxCount"/> entries in one call (a batch read).</summary>
    public List<KeyValuePair<TKey, TValue>> ReadBatch(int maxCount = int.MaxValue)
    {
        var entries = new List<KeyValuePair<TKey, TValue>>();
        foreach (var key in Keys)
        {
            if (entries.Count >= maxCount)
            {
                break;
            }
            if (TryGetValue(in key, out var value))
            {
                entries.Add(KeyValuePair.Create(key, value));
            }
        }
        return entries;
    }

    public Dictionary<TKey, TValue> ToDictionary() => new(ReadBatch());

    public IEnumerator<KeyValuePair<TKey, TValue>> GetEnumerator() => ReadBatch().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static ReadOnlySpan<byte> Bytes(in TKey key) => MemoryMarshal.AsBytes(new ReadOnlySpan<TKey>(in key));
}
