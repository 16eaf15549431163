using Bpftime.Maps;
using static Bpftime.Helpers.HelperArgumentKind;

namespace Bpftime.Helpers;

/// <summary>The ring-buffer helpers (Linux ids 130-134) over <see cref="RingBufferMap"/>.</summary>
public static unsafe class RingBufferHelpers
{
    /// <summary>ringbuf_output(map, data, size, flags): 0, or -EAGAIN when the record does not fit.</summary>
    public static HelperFunction Output { get; } = new(HelperIds.RingbufOutput, "ringbuf_output",
        HelperPrototype.Of(HelperReturnKind.Integer, ConstMapPointer, Memory, ConstSizeOrZero, Scalar),
        static (map, data, size, flags, _) =>
        {
            if (BpfMap.FromHandle((nint)map) is not RingBufferMap ring || (data == 0 && size != 0) || size > int.MaxValue || (flags & ~3UL) != 0)
            {
                return HelperFault.Errno(Errno.EINVAL);
            }
            return (ulong)(long)ring.Output(new ReadOnlySpan<byte>((void*)data, (int)size), flags);
        });

    /// <summary>ringbuf_reserve(map, size, flags): a record to fill, or null when it does not fit (counted as a drop).</summary>
    public static HelperFunction Reserve { get; } = new(HelperIds.RingbufReserve, "ringbuf_reserve",
        HelperPrototype.Of(HelperReturnKind.RingBufferRecordOrNull, ConstMapPointer, Scalar, Scalar),
        static (map, size, flags, _, _) =>
            BpfMap.FromHandle((nint)map) is RingBufferMap ring && flags == 0 ? (ulong)ring.Reserve(size) : 0);

    public static HelperFunction Submit { get; } = new(HelperIds.RingbufSubmit, "ringbuf_submit",
        HelperPrototype.Of(HelperReturnKind.Void, RingBufferRecord, Scalar),
        static (record, flags, _, _, _) => Commit(record, discard: false, flags));

    public static HelperFunction Discard { get; } = new(HelperIds.RingbufDiscard, "ringbuf_discard",
        HelperPrototype.Of(HelperReturnKind.Void, RingBufferRecord, Scalar),
        static (record, flags, _, _, _) => Commit(record, discard: true, flags));

    /// <summary>ringbuf_query(map, flags): 0 available data, 1 ring size, 2 consumer position, 3 producer position.</summary>
    public static HelperFunction Query { get; } = new(HelperIds.RingbufQuery, "ringbuf_query",
        HelperPrototype.Of(HelperReturnKind.Integer, ConstMapPointer, Scalar),
        static (map, flags, _, _, _) => BpfMap.FromHandle((nint)map) is RingBufferMap ring ? ring.Query(flags) : 0);

    public static IEnumerable<HelperFunction> All => [Output, Reserve, Submit, Discard, Query];

    private static ulong Commit(ulong record, bool discard, ulong flags)
    {
        if (record != 0 && RingBufferMap.Owning((nint)record) is { } ring)
        {
            ring.Commit((nint)record, discard, flags);
        }
        return 0;
    }
}
