using System.Buffers.Binary;
using Bpftime.Maps;
using static Bpftime.Helpers.HelperArgumentKind;

namespace Bpftime.Helpers;

/// <summary>bpf_xdp_adjust_head (44) and bpf_xdp_adjust_tail (65) on the native XDP context (see <see cref="XdpLayout"/>).</summary>
public static unsafe class XdpHelpers
{
    /// <summary>Moves the packet's start by delta bytes (negative: grow into the headroom); metadata moves with it. 0 or -EINVAL.</summary>
    public static HelperFunction AdjustHead { get; } = new(HelperIds.XdpAdjustHead, "xdp_adjust_head",
        HelperPrototype.Of(HelperReturnKind.Integer, Context, Scalar),
        static (context, delta, _, _, _) => AdjustHeadOf(context, (int)delta));

    /// <summary>Moves the packet's end by delta bytes (positive: grow into the tailroom, zeroed). 0 or -EINVAL.</summary>
    public static HelperFunction AdjustTail { get; } = new(HelperIds.XdpAdjustTail, "xdp_adjust_tail",
        HelperPrototype.Of(HelperReturnKind.Integer, Context, Scalar),
        static (context, delta, _, _, _) => AdjustTailOf(context, (int)delta));

    /// <summary>
    /// bpf_redirect(ifindex, flags): records the interface the packet should leave by (the frame's
    /// <c>EgressIfindex</c> after the run) and returns XDP_REDIRECT; flags other than 0 are refused
    /// with XDP_ABORTED, as the kernel answers with the low bits of flags.
    /// </summary>
    public static HelperFunction Redirect { get; } = new(HelperIds.Redirect, "redirect",
        HelperPrototype.Of(HelperReturnKind.Integer, Scalar, Scalar),
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
        if (!IsFrame(context))
        {
            return HelperFault.Errno(Errno.EINVAL);
        }
        var block = new Span<byte>((void*)context, XdpLayout.FrameOffset);
        long data = Read(block, XdpLayout.Data);
        long end = Read(block, XdpLayout.DataEnd);
        long meta = Read(block, XdpLayout.DataMeta);
        long start = Read(block, XdpLayout.HardStart);
        var metaLength = data - meta;
        var moved = data + delta;
        if (moved < start + metaLength || moved > end - XdpLayout.EthernetHeaderLength)
        {
            return HelperFault.Errno(Errno.EINVAL);
        }
        if (metaLength > 0)
        {
            Buffer.MemoryCopy((void*)meta, (void*)(meta + delta), metaLength, metaLength);
        }
        Write(block, XdpLayout.DataMeta, meta + delta);
        Write(block, XdpLayout.Data, moved);
        return 0;
    }

    private static ulong AdjustTailOf(ulong context, int delta)
    {
        if (!IsFrame(context))
        {
            return HelperFault.Errno(Errno.EINVAL);
        }
        var block = new Span<byte>((void*)context, XdpLayout.FrameOffset);
        long data = Read(block, XdpLayout.Data);
        long end = Read(block, XdpLayout.DataEnd);
        long hardEnd = Read(block, XdpLayout.HardEnd);
        var moved = end + delta;
        if (moved > hardEnd || moved < data + XdpLayout.EthernetHeaderLength)
        {
            return HelperFault.Errno(Errno.EINVAL);
        }
        if (delta > 0)
        {
            new Span<byte>((void*)end, delta).Clear();
        }
        Write(block, XdpLayout.DataEnd, moved);
        return 0;
    }

    private static bool IsFrame(ulong context) =>
        context != 0 && context < uint.MaxValue
        && BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>((void*)(context + XdpLayout.Magic), 4)) == XdpLayout.MagicValue;

    private static uint Read(Span<byte> block, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(block[offset..]);

    private static void Write(Span<byte> block, int offset, long value) => BinaryPrimitives.WriteUInt32LittleEndian(block[offset..], (uint)value);
}
