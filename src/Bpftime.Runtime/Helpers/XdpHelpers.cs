using System.Buffers.Binary;
using Bpftime.Maps;

namespace Bpftime.Helpers;

/// <summary>bpf_xdp_adjust_head (44) and bpf_xdp_adjust_tail (65) on the native XDP context (see <see cref="XdpLayout"/>).</summary>
public static unsafe class XdpHelpers
{
    /// <summary>Moves the packet's start by delta bytes (negative: grow into the headroom); metadata moves with it. 0 or -EINVAL.</summary>
    public static HelperFunction AdjustHead { get; } = new(HelperIds.XdpAdjustHead,
        static (context, delta, _, _, _) => AdjustHeadOf(context, (int)delta));

    /// <summary>Moves the packet's end by delta bytes (positive: grow into the tailroom, zeroed). 0 or -EINVAL.</summary>
    public static HelperFunction AdjustTail { get; } = new(HelperIds.XdpAdjustTail,
        static (context, delta, _, _, _) => AdjustTailOf(context, (int)delta));

    /// <summary>
    /// bpf_redirect(ifindex, flags): records the interface the packet should leave by (the frame's
    /// <c>EgressIfindex</c> after the run) and returns XDP_REDIRECT; flags other than 0 are refused
    /// with XDP_ABORTED, as the kernel answers with the low bits of flags.
    /// </summary>
    public static HelperFunction Redirect { get; } = new(HelperIds.Redirect,
        static (ifindex, flags, _, _, _) =>
        {
            if (flags != 0)
            {
                return 0; // XDP_ABORTED
            }
            t_redirect = (uint)ifindex;
            return 4; // XDP_REDIRECT
        });

    public static IEnumerable<HelperFunction> All => [AdjustHead, AdjustTail, Redirect];

    [ThreadStatic]
    private static uint t_redirect;

    /// <summary>Takes the interface the last bpf_redirect on this thread chose (0 when none).</summary>
    public static uint TakeRedirect()
    {
        var ifindex = t_redirect;
        t_redirect = 0;
        return ifindex;
    }

    private static ulong AdjustHeadOf(ulong context, int delta)
    {
        if (!IsRunsFrame(context) || !XdpFrameBounds.TryReadPacket(context, out var start, out _, out var meta, out var data, out var end))
        {
            return HelperFault.Errno(Errno.EINVAL);
        }
        var metaLength = (long)(data - meta);
        var moved = (long)data + delta;
        if (moved < (long)start + metaLength || moved > (long)end - XdpLayout.EthernetHeaderLength)
        {
            return HelperFault.Errno(Errno.EINVAL);
        }
        if (metaLength > 0)
        {
            Buffer.MemoryCopy((void*)meta, (void*)((long)meta + delta), metaLength, metaLength);
        }
        var block = new Span<byte>((void*)context, XdpLayout.FrameOffset);
        Write(block, XdpLayout.DataMeta, (long)meta + delta);
        Write(block, XdpLayout.Data, moved);
        return 0;
    }

    private static ulong AdjustTailOf(ulong context, int delta)
    {
        if (!IsRunsFrame(context) || !XdpFrameBounds.TryReadPacket(context, out _, out var hardEnd, out _, out var data, out var end))
        {
            return HelperFault.Errno(Errno.EINVAL);
        }
        var moved = (long)end + delta;
        if (moved > (long)hardEnd || moved < (long)data + XdpLayout.EthernetHeaderLength)
        {
            return HelperFault.Errno(Errno.EINVAL);
        }
        if (delta > 0)
        {
            new Span<byte>((void*)end, delta).Clear();
        }
        Write(new Span<byte>((void*)context, XdpLayout.FrameOffset), XdpLayout.DataEnd, moved);
        return 0;
    }

    /// <summary>A program may adjust only the frame it runs on (a host calling the helper itself may name any live frame).</summary>
    private static bool IsRunsFrame(ulong context)
    {
        var run = Execution.ActiveRuns.Current;
        return context != 0 && (run is null || run.ContextStart == context);
    }

    private static void Write(Span<byte> block, int offset, long value) => BinaryPrimitives.WriteUInt32LittleEndian(block[offset..], (uint)value);
}
