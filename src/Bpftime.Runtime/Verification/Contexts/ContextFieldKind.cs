namespace Bpftime.Verification;

/// <summary>What loading a context field gives the program.</summary>
public enum ContextFieldKind
{
    /// <summary>A number.</summary>
    Scalar,
    /// <summary>The start of packet data (xdp_md.data, __sk_buff.data): engines turn the loaded value into a real pointer.</summary>
    PacketStart,
    /// <summary>The end of packet data (xdp_md.data_end, __sk_buff.data_end).</summary>
    PacketEnd,
    /// <summary>The start of the metadata area before the packet (xdp_md.data_meta, __sk_buff.data_meta).</summary>
    PacketMeta,
    /// <summary>
    /// A pointer Linux hands out (__sk_buff.sk, bpf_sock_ops.sk, flow_keys, ...) to an object the
    /// verifier does not track: any access is refused, naming the field.
    /// </summary>
    UntrackedPointer,
    /// <summary>A field Linux does not let this program type touch (its is_valid_access refuses it).</summary>
    NotAccessible,
}
