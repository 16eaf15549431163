using System.Runtime.InteropServices;
using Bpftime.Execution;
using Bpftime.Objects;

namespace Bpftime.Maps;

/// <summary>
/// BPF_MAP_TYPE_RINGBUF: a multi-producer, single-consumer ring of <see cref="BpfMap.MaxEntries"/>
/// bytes (a power of two, a multiple of 4096) in unmanaged memory. Programs reserve a record, fill it
/// in place and submit or discard it; the host consumes records in reservation order. Each record has
/// the kernel's 8-byte header: a u32 length with bit 31 (busy: reserved, not yet submitted) and bit 30
/// (discarded), then a u32 of the record's offset. Records never wrap: one that would cross the end is
/// preceded by a discarded filler record up to the end. A reservation that does not fit is refused and
/// counted in <see cref="DroppedRecords"/>. A record belongs to the program run that reserved it
/// (<see cref="ActiveRun"/>): no other run, of this program or another, on this thread or another,
/// may touch, submit or discard it; only the host (no run on the thread) commits any record.
/// </summary>
public sealed unsafe class RingBufferMap : BpfMap
{
    public const uint BusyBit = 1U << 31;
    public const uint DiscardBit = 1U << 30;
    public const int HeaderSize = 8;

    private static RingBufferMap[] s_live = [];
    private static readonly Lock s_liveLock = new();

    private readonly Lock _producerLock = new();
    private readonly SemaphoreSlim _dataReady = new(0, int.MaxValue);
    private readonly ulong _mask;
    private byte* _data;
    private long _producer;
    private long _consumer;
    private long _dropped;
    // Records reserved and not yet submitted or discarded, with their lengths and the run that holds
    // each: the only memory of the ring that run may touch, and the only pointers it may submit or discard.
    private readonly Dictionary<nint, HeldRecord> _held = [];

    public RingBufferMap(MapSpec spec)
        : base(MapChecks.OfType(spec, MapType.RingBuf))
    {
        MapChecks.Require(spec, spec.KeySize == 0 && spec.ValueSize == 0, $"takes no key or value (has key {spec.KeySize}, value {spec.ValueSize})");
        MapChecks.Require(spec, spec.MaxEntries >= 4096 && (spec.MaxEntries & (spec.MaxEntries - 1)) == 0,
            $"needs max_entries (its size in bytes) to be a power of two of at least 4096 (has {spec.MaxEntries})");
        MapChecks.RequireSize(spec, spec.MaxEntries);
        Size = spec.MaxEntries;
        _mask = Size - 1UL;
        _data = (byte*)NativeMemory.AlignedAlloc(Size, 4096);
        NativeMemory.Clear(_data, Size);
        lock (s_liveLock)
        {
            s_live = [.. s_live, this];
        }
    }

    /// <summary>The ring's size in bytes.</summary>
    public uint Size { get; }

    /// <summary>Reservations refused because the ring was full (or the record too large).</summary>
    public long DroppedRecords => Interlocked.Read(ref _dropped);

    /// <summary>Bytes reserved but not yet consumed.</summary>
    public long AvailableData => Volatile.Read(ref _producer) - Volatile.Read(ref _consumer);

    public long ProducerPosition => Volatile.Read(ref _producer);

    public long ConsumerPosition => Volatile.Read(ref _consumer);

    /// <summary>Released by each submission that asks for a wake-up, for readers that wait.</summary>
    public SemaphoreSlim DataReady => _dataReady;

    public override nint Lookup(ReadOnlySpan<byte> key) => 0;

    public override int Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags) => -Errno.EINVAL;

    public override int Delete(ReadOnlySpan<byte> key) => -Errno.EINVAL;

    /// <summary>Reserves <paramref name="size"/> bytes; the record's address, or 0 when it does not fit (counted as a drop).</summary>
    public nint Reserve(ulong size)
    {
        if (size == 0 || size > Size / 2)
        {
            Interlocked.Increment(ref _dropped);
            return 0;
        }
        var total = (long)((size + HeaderSize + 7) & ~7UL);
        lock (_producerLock)
        {
            var data = Data;
            var producer = _producer;
            var offset = (long)((ulong)producer & _mask);
            var filler = offset + total > Size ? Size - offset : 0;
            if (producer + filler + total - Volatile.Read(ref _consumer) > Size)
            {
                Interlocked.Increment(ref _dropped);
                return 0;
            }
            if (filler > 0)
            {
                // Fill to the end with a discarded record so that this one starts at offset 0.
                *(uint*)(data + offset + 4) = (uint)offset;
                Volatile.Write(ref *(uint*)(data + offset), (uint)(filler - HeaderSize) | DiscardBit);
                producer += filler;
                offset = 0;
            }
            *(uint*)(data + offset + 4) = (uint)offset;
            Volatile.Write(ref *(uint*)(data + offset), (uint)size | BusyBit);
            Volatile.Write(ref _producer, producer + total);
            var record = (nint)(data + offset + HeaderSize);
            var run = ActiveRuns.Current;
            _held[record] = new HeldRecord((uint)size, run, run?.Serial ?? 0);
            return record;
        }
    }

    /// <summary>Publishes (or discards) a reserved record; <paramref name="flags"/> BPF_RB_NO_WAKEUP (1) or BPF_RB_FORCE_WAKEUP (2).</summary>
    public void Commit(nint record, bool discard, ulong flags)
    {
        if (!TryCommit(record, discard, flags))
        {
            throw new ArgumentException($"0x{record:x} is not a record reserved from ring buffer '{Name}' and still held", nameof(record));
        }
    }

    /// <summary>As <see cref="Commit"/>; false, touching nothing, when <paramref name="record"/> is not a record this ring handed out and still holds.</summary>
    public bool TryCommit(nint record, bool discard, ulong flags) => TryCommit(record, discard, flags, by: null);

    /// <summary>
    /// As <see cref="TryCommit(nint, bool, ulong)"/> for the program run <paramref name="by"/> (null: the
    /// host): false, touching nothing, unless that run (or, for a callback, a run that called it) reserved it.
    /// </summary>
    public bool TryCommit(nint record, bool discard, ulong flags, ActiveRun? by)
    {
        lock (_producerLock)
        {
            if (!_held.TryGetValue(record, out var held) || (by is not null && !HeldBy(held, by)))
            {
                return false;
            }
            _held.Remove(record);
        }
        var header = (uint*)(record - HeaderSize);
        var length = Volatile.Read(ref *header) & ~(BusyBit | DiscardBit);
        Volatile.Write(ref *header, length | (discard ? DiscardBit : 0));
        if ((flags & 1) == 0 && !discard)
        {
            _dataReady.Release();
        }
        return true;
    }

    /// <summary>Copies <paramref name="record"/> in as one record (bpf_ringbuf_output): 0, or -EAGAIN when it does not fit.</summary>
    public int Output(ReadOnlySpan<byte> record, ulong flags)
    {
        var target = Reserve((ulong)record.Length);
        if (target == 0)
        {
            return -Errno.EAGAIN;
        }
        record.CopyTo(new Span<byte>((void*)target, record.Length));
        Commit(target, discard: false, flags);
        return 0;
    }

    /// <summary>
    /// Hands every submitted record in order to <paramref name="consume"/> (which must not keep the
    /// span), skipping discarded ones and stopping at the first record still being written. Returns
    /// how many records were consumed. One consumer at a time.
    /// </summary>
    public int Consume(RingBufferRecordHandler consume, int maxRecords = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(consume);
        var data = Data;
        var consumed = 0;
        var consumer = Volatile.Read(ref _consumer);
        while (consumed < maxRecords && consumer < Volatile.Read(ref _producer))
        {
            var offset = (long)((ulong)consumer & _mask);
            var header = Volatile.Read(ref *(uint*)(data + offset));
            if ((header & BusyBit) != 0)
            {
                break;
            }
            var length = header & ~(BusyBit | DiscardBit);
            var total = (long)((length + HeaderSize + 7) & ~7U);
            if (offset + total > Size)
            {
                throw new Diagnostics.BpfException(new Diagnostics.BpfDiagnostic(Diagnostics.DiagnosticCodes.RingBufferCorrupt,
                    $"ring buffer '{Name}' has a record of {length} bytes at offset {offset} that runs past its end"));
            }
            if ((header & DiscardBit) == 0)
            {
                consume(new ReadOnlySpan<byte>(data + offset + HeaderSize, (int)length));
                consumed++;
            }
            consumer += total;
            Volatile.Write(ref _consumer, consumer);
        }
        return consumed;
    }

    /// <summary>bpf_ringbuf_query: 0 data available, 1 ring size, 2 consumer position, 3 producer position.</summary>
    public ulong Query(ulong flags) => flags switch
    {
        0 => (ulong)AvailableData,
        1 => Size,
        2 => (ulong)ConsumerPosition,
        3 => (ulong)ProducerPosition,
        _ => 0,
    };

    /// <summary>The ring that holds the record at <paramref name="address"/>, or null.</summary>
    public static RingBufferMap? Owning(nint address)
    {
        foreach (var ring in Volatile.Read(ref s_live))
        {
            var start = (nint)ring._data;
            if (start != 0 && address >= start + HeaderSize && address < start + (nint)ring.Size)
            {
                return ring;
            }
        }
        return null;
    }

    /// <summary>
    /// The records the program running on this thread holds (reserved by it, or by a run that called
    /// this callback, and not yet submitted or discarded); none when no program runs. Headers, free
    /// space and other runs' records are not the program's.
    /// </summary>
    public override IEnumerable<MemoryRegion> ValueRegions
    {
        get
        {
            var run = ActiveRuns.Current;
            if (run is null)
            {
                return [];
            }
            lock (_producerLock)
            {
                return IsDisposed || _data == null ? [] : [.. _held.Where(r => HeldBy(r.Value, run)).Select(r => new MemoryRegion(r.Key, r.Value.Length, true))];
            }
        }
    }

    private static bool HeldBy(HeldRecord held, ActiveRun run) => held.Run is { } holder && run.Holds(holder, held.Serial);

    /// <summary>A reserved record: its length and the run that reserved it (null and 0: the host).</summary>
    private readonly record struct HeldRecord(uint Length, ActiveRun? Run, ulong Serial);

    protected override void Dispose(bool disposing)
    {
        lock (s_liveLock)
        {
            s_live = [.. s_live.Where(r => r != this)];
        }
        lock (_producerLock)
        {
            if (_data != null)
            {
                NativeMemory.AlignedFree(_data);
                _data = null;
            }
        }
        base.Dispose(disposing);
    }

    private byte* Data
    {
        get
        {
            ObjectDisposedException.ThrowIf(_data == null, this);
            return _data;
        }
    }
}

/// <summary>Receives one ring-buffer record; the span is valid only during the call.</summary>
public delegate void RingBufferRecordHandler(ReadOnlySpan<byte> record);
