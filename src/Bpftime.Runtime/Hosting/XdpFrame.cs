using Bpftime.Diagnostics;
using Bpftime.Helpers;

namespace Bpftime.Hosting;

/// <summary>
/// A packet buffer for XDP programs, laid out as <see cref="XdpLayout"/> describes: the program's
/// <c>struct xdp_md</c> whose u32 data, data_end and data_meta are real addresses (the frame lives below
/// 4 GiB), then headroom, the packet and tailroom. bpf_xdp_adjust_head and bpf_xdp_adjust_tail move the
/// packet's bounds within the frame. Reuse one frame per thread for many packets; dispose to free it.
/// </summary>
public sealed unsafe class XdpFrame : IDisposable
{
    private readonly LowMemoryBlock _block;

    /// <param name="capacity">Largest packet (with any growth at the tail) the frame holds.</param>
    /// <param name="headroom">Bytes before the packet that bpf_xdp_adjust_head may claim (the kernel's 256 by default).</param>
    public XdpFrame(int capacity = 4096, int headroom = XdpLayout.DefaultHeadroom)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, XdpLayout.EthernetHeaderLength);
        ArgumentOutOfRangeException.ThrowIfNegative(headroom);
        Capacity = capacity;
        Headroom = headroom;
        _block = new LowMemoryBlock(this, XdpLayout.FrameOffset + (long)headroom + capacity);
        // The bounds the packet helpers trust live outside the block, where the program cannot write.
        var block = _block.Address;
        XdpFrameBounds.Register(block, (ulong)(block + XdpLayout.FrameOffset), (ulong)(block + (nint)_block.Size));
        SetPacket([]);
    }

    public int Capacity { get; }

    public int Headroom { get; }

    /// <summary>The packet as the program left it (between data and data_end); BPF4239 when the program left them outside the frame.</summary>
    public Span<byte> Packet
    {
        get
        {
            var (_, data, end) = Bounds();
            return new((void*)data, (int)(end - data));
        }
    }

    /// <summary>The metadata area before the packet (between data_meta and data); BPF4239 when the program left them outside the frame.</summary>
    public Span<byte> Metadata
    {
        get
        {
            var (meta, data, _) = Bounds();
            return new((void*)meta, (int)(data - meta));
        }
    }

    /// <summary>data_meta, data and data_end, which the program may have rewritten: checked against the frame before the host uses them.</summary>
    private (ulong Meta, ulong Data, ulong End) Bounds()
    {
        if (!XdpFrameBounds.TryReadPacket((ulong)_block.Address, out _, out _, out var meta, out var data, out var end))
        {
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.XdpFrameCorrupt,
                $"the program left data_meta 0x{Read(XdpLayout.DataMeta):x}, data 0x{Read(XdpLayout.Data):x} and data_end 0x{Read(XdpLayout.DataEnd):x} outside its XDP frame or out of order; call SetPacket before using the frame again"));
        }
        return (meta, data, end);
    }

    public uint IngressIfindex
    {
        get => Read(XdpLayout.IngressIfindex);
        set => Write(XdpLayout.IngressIfindex, value);
    }

    public uint RxQueueIndex
    {
        get => Read(XdpLayout.RxQueueIndex);
        set => Write(XdpLayout.RxQueueIndex, value);
    }

    /// <summary>Where bpf_redirect sent the packet when the verdict was XDP_REDIRECT, else 0.</summary>
    public uint EgressIfindex => Read(XdpLayout.EgressIfindex);

    internal void SetEgress(uint ifindex) => Write(XdpLayout.EgressIfindex, ifindex);

    /// <summary>Copies <paramref name="packet"/> in after the headroom and resets data, data_end and data_meta.</summary>
    public void SetPacket(ReadOnlySpan<byte> packet)
    {
        if (packet.Length > Capacity)
        {
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.XdpPacketTooLarge,
                $"a packet of {packet.Length} bytes does not fit an XDP frame of capacity {Capacity}; make the frame larger"));
        }
        var data = _block.Address + XdpLayout.FrameOffset + Headroom;
        packet.CopyTo(_block.Bytes(XdpLayout.FrameOffset + Headroom, packet.Length));
        Write(XdpLayout.Data, (uint)data);
        Write(XdpLayout.DataMeta, (uint)data);
        Write(XdpLayout.DataEnd, (uint)(data + packet.Length));
        Write(XdpLayout.EgressIfindex, 0);
    }

    /// <summary>r1 for the program: the xdp_md at the start of the block.</summary>
    internal nint Context => _block.Address;

    /// <summary>r2 for the program: the whole block, so that checked engines accept packet accesses.</summary>
    internal ulong ContextLength => _block.Size;

    private uint Read(int offset) => _block.ReadUInt32(offset);

    private void Write(int offset, uint value) => _block.WriteUInt32(offset, value);

    public void Dispose()
    {
        if (!_block.IsFreed)
        {
            XdpFrameBounds.Unregister(_block.Address);
            _block.Free();
        }
    }
}
