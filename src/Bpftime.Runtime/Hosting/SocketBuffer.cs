using Bpftime.Diagnostics;
using Bpftime.Engines;

namespace Bpftime.Hosting;

/// <summary>
/// A socket buffer for socket filter and tc programs: Linux's <c>struct __sk_buff</c>
/// (<see cref="SocketBufferLayout"/>) whose u32 len, data, data_end and data_meta describe the packet
/// that follows it, at real addresses (the block lives below 4 GiB, as an XDP frame does). The legacy
/// packet loads (ld_abs, ld_ind) read that packet. Reuse one buffer per thread for many packets; dispose
/// to free it.
/// </summary>
public sealed class SocketBuffer : IDisposable
{
    /// <summary>Where the packet starts in the block: after the struct, on a cache line.</summary>
    private const int PacketOffset = 256;

    private readonly LowMemoryBlock _block;
    private int _length;

    /// <param name="capacity">Largest packet the buffer holds (64 KiB by default, the largest IP packet and then some).</param>
    public SocketBuffer(int capacity = 65536)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
        _block = new LowMemoryBlock(this, PacketOffset + (long)capacity);
        SetPacket([]);
    }

    public int Capacity { get; }

    /// <summary>
    /// Whether <paramref name="program"/> is loaded (and built) for a socket buffer: a socket filter or tc
    /// program that uses legacy packet loads, which read a socket buffer only RunSocketBuffer provides.
    /// The loader and the build both ask this, so that native code and bytecode run on the same context.
    /// </summary>
    public static bool IsContextOf(Objects.BpfProgramInfo program)
    {
        ArgumentNullException.ThrowIfNull(program);
        return program.Type is Objects.ProgramType.SocketFilter or Objects.ProgramType.SchedClassifier or Objects.ProgramType.SchedAction
            && program.Instructions.Any(Isa.ProgramValidator.IsLegacyPacketLoad);
    }

    /// <summary>The packet (tc programs may have written it; its bounds are the ones the host set).</summary>
    public Span<byte> Packet => _block.Bytes(PacketOffset, _length);

    /// <summary>skb->pkt_type: PACKET_HOST (0), PACKET_BROADCAST (1), PACKET_MULTICAST (2), PACKET_OTHERHOST (3), PACKET_OUTGOING (4).</summary>
    public uint PacketType
    {
        get => Read(SocketBufferLayout.PktType);
        set => Write(SocketBufferLayout.PktType, value);
    }

    /// <summary>skb->protocol as the program reads it: the EtherType in network byte order, as Linux stores it (0x0008 for IPv4 on a little-endian host).</summary>
    public uint Protocol
    {
        get => Read(SocketBufferLayout.Protocol);
        set => Write(SocketBufferLayout.Protocol, value);
    }

    /// <summary>skb->mark; tc programs may change it.</summary>
    public uint Mark
    {
        get => Read(SocketBufferLayout.Mark);
        set => Write(SocketBufferLayout.Mark, value);
    }

    /// <summary>skb->priority; tc programs may change it.</summary>
    public uint Priority
    {
        get => Read(SocketBufferLayout.Priority);
        set => Write(SocketBufferLayout.Priority, value);
    }

    public uint IngressIfindex
    {
        get => Read(SocketBufferLayout.IngressIfindex);
        set => Write(SocketBufferLayout.IngressIfindex, value);
    }

    public uint Ifindex
    {
        get => Read(SocketBufferLayout.Ifindex);
        set => Write(SocketBufferLayout.Ifindex, value);
    }

    /// <summary>skb->tc_classid, which tc programs may set.</summary>
    public uint TcClassid => Read(SocketBufferLayout.TcClassid);

    /// <summary>
    /// Copies <paramref name="packet"/> in and starts a new socket buffer: every field zero but len,
    /// wire_len, data, data_end and data_meta (no metadata: data_meta = data).
    /// </summary>
    public void SetPacket(ReadOnlySpan<byte> packet)
    {
        if (packet.Length > Capacity)
        {
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.SocketBufferPacketTooLarge,
                $"a packet of {packet.Length} bytes does not fit a socket buffer of capacity {Capacity}; make the buffer larger"));
        }
        _block.Bytes(0, SocketBufferLayout.Size).Clear();
        packet.CopyTo(_block.Bytes(PacketOffset, packet.Length));
        _length = packet.Length;
        RestoreBounds();
        Write(SocketBufferLayout.WireLen, (uint)packet.Length);
    }

    /// <summary>
    /// Writes len, data, data_end and data_meta from the host's own record before each run: a program
    /// run with checks may write anywhere in the block, and a verified program run next trusts them.
    /// </summary>
    internal void RestoreBounds()
    {
        var data = (uint)(_block.Address + PacketOffset);
        Write(SocketBufferLayout.Len, (uint)_length);
        Write(SocketBufferLayout.Data, data);
        Write(SocketBufferLayout.DataEnd, data + (uint)_length);
        Write(SocketBufferLayout.DataMeta, data);
    }

    /// <summary>r1 for the program: the __sk_buff at the start of the block.</summary>
    internal nint Context => _block.Address;

    /// <summary>r2 for the program: the whole block, so that checked engines accept reads of the packet.</summary>
    internal ulong ContextLength => _block.Size;

    private uint Read(int offset) => _block.ReadUInt32(offset);

    private void Write(int offset, uint value) => _block.WriteUInt32(offset, value);

    public void Dispose() => _block.Free();
}
