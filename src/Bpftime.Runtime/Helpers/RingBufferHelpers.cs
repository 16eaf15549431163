using Bpftime.Execution;
using Bpftime.Maps;

namespace Bpftime.Helpers;

/// <summary>The ring-buffer helpers (Linux ids 130-134) over <see cref="RingBufferMap"/>.</summary>
public static unsafe class RingBufferHelpers
{
    /// <summary>ringbuf_output(map, data, size, flags): 0, or -EAGAIN when the record does not fit.</summary>
    public static HelperFunction Output { get; } = new(HelperIds.RingbufOutput,
        static (map, data, size, flags, _) =>
        {
            if (HelperArguments.Map(map, "ringbuf_output") is not RingBufferMap ring || (data == 0 && size != 0 && !HelperMemory.Checking) || (flags & ~3UL) != 0)
            {
                return HelperFault.Errno(Errno.EINVAL);
            }
            return (ulong)(long)ring.Output(HelperMemory.Readable(data, size, "ringbuf_output", "2 (data)"), flags);
        });

    /// <summary>ringbuf_reserve(map, size, flags): a record to fill, or null when it does not fit (counted as a drop).</summary>
    public static HelperFunction Reserve { get; } = new(HelperIds.RingbufReserve,
        static (map, size, flags, _, _) =>
            HelperArguments.Map(map, "ringbuf_reserve") is RingBufferMap ring && flags == 0 ? (ulong)ring.Reserve(size) : 0);

    public static HelperFunction Submit { get; } = new(HelperIds.RingbufSubmit,
        static (record, flags, _, _, _) => Commit(record, discard: false, flags));

    public static HelperFunction Discard { get; } = new(HelperIds.RingbufDiscard,
        static (record, flags, _, _, _) => Commit(record, discard: true, flags));

    /// <summary>ringbuf_query(map, flags): 0 available data, 1 ring size, 2 consumer position, 3 producer position.</summary>
    public static HelperFunction Query { get; } = new(HelperIds.RingbufQuery,
        static (map, flags, _, _, _) => HelperArguments.Map(map, "ringbuf_query") is RingBufferMap ring ? ring.Query(flags) : 0);

    public static IEnumerable<HelperFunction> All => [Output, Reserve, Submit, Discard, Query];

    /// <summary>
    /// Only a record a ring handed out, still reserved, and reserved by the running program (this run,
    /// or the run whose callback this is) is committed; anything else is never dereferenced.
    /// </summary>
    private static ulong Commit(ulong record, bool discard, ulong flags)
    {
        var run = ActiveRuns.Current;
        if (record != 0 && RingBufferMap.Owning((nint)record) is { } ring && ring.TryCommit((nint)record, discard, flags, run))
        {
            return 0;
        }
        if (record != 0 || HelperMemory.Checking)
        {
            throw Diagnostics.BpfException.Create(Diagnostics.DiagnosticCodes.ForgedRingBufferRecord,
                $"helper {(discard ? "ringbuf_discard" : "ringbuf_submit")}, argument 1: 0x{record:x} is not a ring-buffer record this run holds (reserved by it and not yet submitted or discarded; another run's records are not its own); pass the pointer bpf_ringbuf_reserve returned in this run, once",
                run?.Origin, run?.ProgramName);
        }
        return 0;
    }
}
