using System.Collections;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Bpftime.Maps;

namespace Bpftime.Hosting;

/// <summary>
/// An array map seen as values of <typeparamref name="TValue"/> (ARRAY, and global data such as .bss,
/// .data and .rodata). Reads and writes copy; <see cref="GetRef"/> gives the value in place, shared
/// with running programs.
/// </summary>
public sealed unsafe class BpfArrayView<TValue> : IReadOnlyList<TValue>
    where TValue : unmanaged
{
    private readonly ArrayMap _map;

    internal BpfArrayView(BpfMap map)
    {
        _map = MapViewChecks.Kind<ArrayMap>(map, "AsArray");
        if (!_map.Spec.IsGlobalData)
        {
            MapViewChecks.Size<TValue>(map, "value", map.ValueSize);
        }
        else if (Unsafe.SizeOf<TValue>() > map.ValueSize)
        {
            MapViewChecks.Size<TValue>(map, "value", map.ValueSize);
        }
    }

    public BpfMap Map => _map;

    public int Count => (int)_map.MaxEntries;

    public TValue this[int index]
    {
        get => this[(uint)index];
    }

    public TValue this[uint index]
    {
        get => GetReadOnlyRef(index);
        set => GetRef(index) = value;
    }

    /// <summary>
    /// The value in the map's memory: writes are seen by programs at once (use atomics for shared
    /// counters). Read-only data frozen at load (.rodata) gives BPF4138: read it with <see cref="GetReadOnlyRef"/>.
    /// </summary>
    public ref TValue GetRef(uint index)
    {
        if (_map.IsFrozen)
        {
            throw _map.Frozen();
        }
        return ref Unsafe.AsRef(in GetReadOnlyRef(index));
    }

    /// <summary>The value in the map's memory, to read in place (the only access to read-only data frozen at load).</summary>
    public ref readonly TValue GetReadOnlyRef(uint index)
    {
        var address = _map.Lookup(index);
        if (address == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"array map '{_map.Name}' has {_map.MaxEntries} entries");
        }
        return ref Unsafe.AsRef<TValue>((void*)address);
    }

    /// <summary>The map's update: 0, or the kernel's negative errno (-E2BIG past the end, -EEXIST for BPF_NOEXIST).</summary>
    public int Update(uint index, in TValue value, ulong flags = MapUpdateFlags.Any) =>
        _map.Update(index, MemoryMarshal.AsBytes(new ReadOnlySpan<TValue>(in value)), flags);

    /// <summary>Every value at once.</summary>
    public TValue[] ReadAll()
    {
        var values = new TValue[Count];
        for (uint i = 0; i < values.Length; i++)
        {
            values[i] = GetRef(i);
        }
        return values;
    }

    public IEnumerator<TValue> GetEnumerator()
    {
        for (uint i = 0; i < _map.MaxEntries; i++)
        {
            yield return GetRef(i);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
