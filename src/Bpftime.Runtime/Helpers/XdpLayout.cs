namespace Bpftime.Helpers;

/// <summary>
/// The native XDP context: a block below 4 GiB that starts with <c>struct xdp_md</c> exactly as C
/// sees it (u32 data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex), then the
/// frame (headroom, packet, tailroom). The program may write all of it, so nothing the helpers trust
/// lives here: the frame's bounds are kept by the runtime (<see cref="XdpFrameBounds"/>). Because
/// the whole block sits below 4 GiB, the u32 data fields hold real addresses: a program's 32-bit
/// loads of ctx->data give pointers it can use on every engine, with no rewriting of its loads. The
/// program receives the block's start in r1 and the block's length in r2, so the run-time checks of
/// unverified code accept packet accesses.
/// </summary>
public static class XdpLayout
{
    public const int Data = 0;
    public const int DataEnd = 4;
    public const int DataMeta = 8;
    public const int IngressIfindex = 12;
    public const int RxQueueIndex = 16;
    public const int EgressIfindex = 20;

    /// <summary>Where the frame starts in the block.</summary>
    public const int FrameOffset = 64;

    /// <summary>The kernel's XDP_PACKET_HEADROOM.</summary>
    public const int DefaultHeadroom = 256;

    /// <summary>Shortest packet the helpers leave (an Ethernet header).</summary>
    public const int EthernetHeaderLength = 14;
}
