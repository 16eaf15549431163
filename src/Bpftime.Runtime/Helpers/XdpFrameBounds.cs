using System.Collections.Concurrent;

namespace Bpftime.Helpers;

/// <summary>
/// The bounds of each live XDP frame, kept out of the program's reach: the frame's context block is
/// writable by the program, so bpf_xdp_adjust_head and bpf_xdp_adjust_tail take the limits from here
/// and check the program-visible data, data_end and data_meta against them before using them.
/// </summary>
public static class XdpFrameBounds
{
    private static readonly ConcurrentDictionary<ulong, (ulong HardStart, ulong HardEnd)> s_frames = new();

    /// <summary>Records the frame whose context block starts at <paramref name="context"/>: its packet may lie in [hardStart, hardEnd).</summary>
    public static void Register(nint context, ulong hardStart, ulong hardEnd) => s_frames[(ulong)context] = (hardStart, hardEnd);

    public static void Unregister(nint context) => s_frames.TryRemove((ulong)context, out _);

    /// <summary>The bounds of the frame at <paramref name="context"/>; false when it is not a live frame.</summary>
    public static bool TryGet(ulong context, out ulong hardStart, out ulong hardEnd)
    {
        var found = s_frames.TryGetValue(context, out var bounds);
        (hardStart, hardEnd) = bounds;
        return found;
    }

    /// <summary>
    /// Reads data_meta, data and data_end from the frame at <paramref name="context"/> and checks
    /// hardStart &lt;= data_meta &lt;= data &lt;= data_end &lt;= hardEnd; false when the frame is unknown or
    /// a program left them inconsistent.
    /// </summary>
    public static unsafe bool TryReadPacket(ulong context, out ulong hardStart, out ulong hardEnd, out ulong meta, out ulong data, out ulong end)
    {
        meta = data = end = 0;
        if (!TryGet(context, out hardStart, out hardEnd))
        {
            return false;
        }
        var block = (uint*)context;
        data = block[XdpLayout.Data / 4];
        end = block[XdpLayout.DataEnd / 4];
        meta = block[XdpLayout.DataMeta / 4];
        return hardStart <= meta && meta <= data && data <= end && end <= hardEnd;
    }
}
