using System.Buffers.Binary;

namespace Bpftime.Hosting;

/// <summary>
/// The block of memory below 4 GiB (<see cref="LowMemory"/>) that a host context owns (an XDP frame, a
/// socket buffer): whole pages, u32 fields at offsets, and an address that fails with the owner's
/// ObjectDisposedException once the block is freed.
/// </summary>
internal sealed unsafe class LowMemoryBlock
{
    private readonly object _owner;
    private nint _address;

    /// <param name="owner">The object disposing frees the block; its type names the disposed object in errors.</param>
    /// <param name="bytes">Bytes needed; the block is rounded up to whole pages.</param>
    public LowMemoryBlock(object owner, long bytes)
    {
        _owner = owner;
        Size = (nuint)((bytes + 4095) & ~4095L);
        _address = LowMemory.Allocate(Size);
    }

    /// <summary>The block's size in bytes: whole pages, so checked engines may be given all of it.</summary>
    public nuint Size { get; }

    public bool IsFreed => _address == 0;

    public nint Address
    {
        get
        {
            ObjectDisposedException.ThrowIf(_address == 0, _owner);
            return _address;
        }
    }

    public Span<byte> Bytes(nint offset, int length) => new((void*)(Address + offset), length);

    public uint ReadUInt32(int offset) => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(offset, 4));

    public void WriteUInt32(int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Bytes(offset, 4), value);

    /// <summary>Unmaps the block; a second call does nothing.</summary>
    public void Free()
    {
        if (_address != 0)
        {
            LowMemory.Free(_address, Size);
            _address = 0;
        }
    }
}
