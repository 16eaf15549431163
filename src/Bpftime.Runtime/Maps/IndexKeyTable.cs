using System.Runtime.InteropServices;
using Bpftime.Execution;

namespace Bpftime.Maps;

/// <summary>
/// The keys 0..n-1 of an array map as u32s in unmanaged memory, made on the first walk: callbacks of
/// bpf_for_each_map_elem receive a key pointer, which must be memory the program may read.
/// </summary>
internal sealed unsafe class IndexKeyTable : IDisposable
{
    private uint* _keys;

    public IndexKeyTable(uint count)
    {
        Count = count;
        _keys = (uint*)NativeMemory.Alloc(count, sizeof(uint));
        for (uint i = 0; i < count; i++)
        {
            _keys[i] = i;
        }
    }

    public uint Count { get; }

    public nint AddressOf(uint index) => (nint)(_keys + index);

    public MemoryRegion Region => new((nint)_keys, Count * (ulong)sizeof(uint), false);

    public static IndexKeyTable For(ref IndexKeyTable? table, uint count)
    {
        if (Volatile.Read(ref table) is { } existing)
        {
            return existing;
        }
        var created = new IndexKeyTable(count);
        var raced = Interlocked.CompareExchange(ref table, created, null);
        if (raced is not null)
        {
            created.Dispose();
            return raced;
        }
        return created;
    }

    public void Dispose()
    {
        if (_keys != null)
        {
            NativeMemory.Free(_keys);
            _keys = null;
        }
    }
}
