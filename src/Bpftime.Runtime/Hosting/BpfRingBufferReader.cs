using System.Runtime.CompilerServices;
using Bpftime.Maps;

namespace Bpftime.Hosting;

/// <summary>
/// Reads the records programs submit to a RINGBUF map: <see cref="Poll"/> hands each waiting record to a
/// callback; <see cref="ReadAllAsync"/> yields copies as they arrive. One reader per ring at a time.
/// </summary>
public sealed class BpfRingBufferReader
{
    private readonly RingBufferMap _ring;

    internal BpfRingBufferReader(BpfMap map) => _ring = MapViewChecks.Kind<RingBufferMap>(map, "AsRingBuffer");

    public BpfMap Map => _ring;

    /// <summary>Records refused because the ring was full.</summary>
    public long DroppedRecords => _ring.DroppedRecords;

    /// <summary>Bytes written but not yet read.</summary>
    public long AvailableData => _ring.AvailableData;

    /// <summary>Hands every submitted record to <paramref name="onRecord"/> (the span is valid during the call); returns how many.</summary>
    public int Poll(RingBufferRecordHandler onRecord, int maxRecords = int.MaxValue) => _ring.Consume(onRecord, maxRecords);

    /// <summary>Hands every submitted record to <paramref name="onRecord"/> as a <typeparamref name="TRecord"/> (records shorter than it are refused with BPF4223).</summary>
    public int Poll<TRecord>(Action<TRecord> onRecord)
        where TRecord : unmanaged
    {
        ArgumentNullException.ThrowIfNull(onRecord);
        return _ring.Consume(record =>
        {
            if (record.Length < Unsafe.SizeOf<TRecord>())
            {
                throw new Diagnostics.BpfException(new Diagnostics.BpfDiagnostic(Diagnostics.DiagnosticCodes.MapViewMismatch,
                    $"ring buffer '{_ring.Name}' has a record of {record.Length} bytes, shorter than {typeof(TRecord).Name} ({Unsafe.SizeOf<TRecord>()} bytes)"));
            }
            onRecord(System.Runtime.InteropServices.MemoryMarshal.Read<TRecord>(record));
        });
    }

    /// <summary>Waits up to <paramref name="timeout"/> for a submission, then polls.</summary>
    public int Poll(RingBufferRecordHandler onRecord, TimeSpan timeout)
    {
        if (_ring.AvailableData == 0)
        {
            _ring.DataReady.Wait(timeout);
        }
        return _ring.Consume(onRecord);
    }

    /// <summary>Every record as a copy, as it arrives, until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async IAsyncEnumerable<byte[]> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var batch = new List<byte[]>();
        while (!cancellationToken.IsCancellationRequested)
        {
            batch.Clear();
            _ring.Consume(record => batch.Add(record.ToArray()));
            foreach (var record in batch)
            {
                yield return record;
            }
            if (batch.Count == 0)
            {
                try
                {
                    // Submissions without BPF_RB_NO_WAKEUP release the semaphore; poll now and then for the others.
                    await _ring.DataReady.WaitAsync(TimeSpan.FromMilliseconds(50), cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    yield break;
                }
            }
        }
    }
}
