namespace Bpftime.Verification;

/// <summary>What loading a context field gives the program.</summary>
public enum ContextFieldKind
{
    /// <summary>A number.</summary>
    Scalar,
    /// <summary>The start of packet data (xdp_md.data): engines turn the loaded value into a real pointer.</summary>
    PacketStart,
    /// <summary>The end of packet data (xdp_md.data_end).</summary>
    PacketEnd,
    /// <summary>The start of the metadata area before the packet (xdp_md.data_meta).</summary>
    PacketMeta,
}
