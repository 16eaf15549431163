using System.Runtime.InteropServices;
using Bpftime.Maps;

namespace Bpftime.Hosting;

/// <summary>
/// A per-CPU map (PERCPU_ARRAY with u32 keys, PERCPU_HASH, LRU_PERCPU_HASH) seen as one
/// <typeparamref name="TValue"/> per processor slot for each key: reads return every slot, as the
/// kernel's per-CPU lookups from user space do; <see cref="Sum"/> folds them.
/// </summary>
public sealed unsafe class BpfPerCpuView<TKey, TValue>
    where TKey : unmanaged
    where TValue : unmanaged
{
    private readonly BpfMap _map;
    private readonly IPerCpuMap _slots;

    internal BpfPerCpuView(BpfMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        ObjectDisposedException.ThrowIf(map.IsDisposed, map);
        if (map is not IPerCpuMap slots || map is HashMap { IsPerCpu: false })
        {
            throw new Diagnostics.BpfException(new Diagnostics.BpfDiagnostic(Diagnostics.DiagnosticCodes.MapViewMismatch,
                $"map '{map.Name}' is of type {map.Type}, not a per-CPU map; use AsArray or AsHash"));
        }
        _map = map;
        _slots = slots;
        MapViewChecks.Size<TKey>(map, "key", map.KeySize);
        MapViewChecks.Size<TValue>(map, "value", map.ValueSize);
    }

    public BpfMap Map => _map;

    /// <summary>How many copies each value has.</summary>
    public int SlotCount => _slots.SlotCount;

    /// <summary>Every slot's copy of the key's value, or null when the key is absent.</summary>
    public TValue[]? Lookup(in TKey key)
    {
        var bytes = Bytes(in key);
        var values = new TValue[_slots.SlotCount];
        for (var slot = 0; slot < values.Length; slot++)
        {
            var address = _slots.LookupSlot(bytes, slot);
            if (address == 0)
            {
                return null;
            }
            values[slot] = *(TValue*)address;
        }
        return values;
    }

    /// <summary>Sets every slot's copy (<paramref name="perSlot"/> has <see cref="SlotCount"/> values): 0 or the kernel's negative errno.</summary>
    public int Update(in TKey key, ReadOnlySpan<TValue> perSlot, ulong flags = MapUpdateFlags.Any)
    {
        if (perSlot.Length != _slots.SlotCount)
        {
            throw new ArgumentException($"map '{_map.Name}' has {_slots.SlotCount} slots, {perSlot.Length} values were given", nameof(perSlot));
        }
        var stride = (int)_slots.SlotStride;
        var buffer = new byte[stride * perSlot.Length];
        for (var slot = 0; slot < perSlot.Length; slot++)
        {
            MemoryMarshal.Write(buffer.AsSpan(slot * stride), in perSlot[slot]);
        }
        return _map.Update(Bytes(in key), buffer, flags);
    }

    /// <summary>0, or the kernel's negative errno (-EINVAL for arrays, -ENOENT when absent).</summary>
    public int Delete(in TKey key) => _map.Delete(Bytes(in key));

    /// <summary>The slots of the key's value folded with <paramref name="add"/>, or default when absent.</summary>
    public TValue Sum(in TKey key, Func<TValue, TValue, TValue> add)
    {
        ArgumentNullException.ThrowIfNull(add);
        var values = Lookup(in key);
        return values is null ? default : values.Aggregate(add);
    }

    /// <summary>Every key with its per-slot values.</summary>
    public List<KeyValuePair<TKey, TValue[]>> ReadAll()
    {
        var entries = new List<KeyValuePair<TKey, TValue[]>>();
        var key = default(TKey);
        var next = default(TKey);
        var first = true;
        while (_map.GetNextKey(first ? [] : Bytes(in key), MemoryMarshal.AsBytes(new Span<TKey>(ref next))) == 0)
        {
            if (Lookup(in next) is { } values)
            {
                entries.Add(KeyValuePair.Create(next, values));
            }
            key = next;
            first = false;
        }
        return entries;
    }

    private static ReadOnlySpan<byte> Bytes(in TKey key) => MemoryMarshal.AsBytes(new ReadOnlySpan<TKey>(in key));
}
