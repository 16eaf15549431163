using System.Runtime.InteropServices;
using Bpftime.Execution;
using Bpftime.Objects;

namespace Bpftime.Maps;

/// <summary>
/// BPF_MAP_TYPE_QUEUE (first in, first out) and BPF_MAP_TYPE_STACK (last in, first out): no keys,
/// at most <see cref="BpfMap.MaxEntries"/> values in a ring of unmanaged memory. Push fails with
/// -E2BIG when full unless BPF_EXIST is given, which drops the oldest value to make room; pop and
/// peek fail with -ENOENT when empty. Values are copied in and out, so programs never hold pointers
/// into the ring.
/// </summary>
public sealed unsafe class QueueMap : BpfMap
{
    private readonly Lock _lock = new();
    private readonly bool _lastInFirstOut;
    private byte* _ring;
    private uint _head;
    private uint _count;

    public QueueMap(MapSpec spec)
        : base(MapChecks.OfType(spec, MapType.Queue, MapType.Stack))
    {
        MapChecks.Require(spec, spec.KeySize == 0, $"takes no key (key size must be 0, is {spec.KeySize})");
        MapChecks.Require(spec, spec.ValueSize is > 0 and <= 1 << 20, $"needs a value of 1 byte to 1 MiB (has {spec.ValueSize})");
        MapChecks.Require(spec, spec.MaxEntries > 0, "needs at least one entry");
        var total = MapChecks.Product(spec, spec.ValueSize, spec.MaxEntries);
        MapChecks.RequireSize(spec, total);
        _lastInFirstOut = spec.Type == MapType.Stack;
        _ring = (byte*)NativeMemory.Alloc((nuint)total);
    }

    /// <summary>How many values wait.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return (int)_count;
            }
        }
    }

    /// <summary>Queues and stacks have no addressable values: lookups find nothing.</summary>
    public override nint Lookup(ReadOnlySpan<byte> key) => 0;

    /// <summary>The syscall form of push: an empty key and the value.</summary>
    public override int Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags)
    {
        if (!key.IsEmpty)
        {
            throw MapChecks.WrongSize(this, "key", key.Length, 0);
        }
        return Push(value, flags);
    }

    public override int Delete(ReadOnlySpan<byte> key) => -Errno.EINVAL;

    public override int Push(ReadOnlySpan<byte> value, ulong flags)
    {
        if (value.Length != Spec.ValueSize)
        {
            throw MapChecks.WrongSize(this, "value", value.Length, Spec.ValueSize);
        }
        if (flags is not (MapUpdateFlags.Any or MapUpdateFlags.Exist))
        {
            return -Errno.EINVAL;
        }
        lock (_lock)
        {
            var ring = Ring;
            if (_count == Spec.MaxEntries)
            {
                if (flags != MapUpdateFlags.Exist)
                {
                    return -Errno.E2BIG;
                }
                // Make room by dropping the oldest value (the head of a queue, the bottom of a stack).
                _head = (_head + 1) % Spec.MaxEntries;
                _count--;
            }
            var index = (_head + _count) % Spec.MaxEntries;
            value.CopyTo(new Span<byte>(ring + ((ulong)index * Spec.ValueSize), value.Length));
            _count++;
            return 0;
        }
    }

    public override int Pop(Span<byte> value) => Take(value, remove: true);

    public override int Peek(Span<byte> value) => Take(value, remove: false);

    public override IEnumerable<MemoryRegion> ValueRegions => [];

    protected override void Dispose(bool disposing)
    {
        lock (_lock)
        {
            if (_ring != null)
            {
                NativeMemory.Free(_ring);
                _ring = null;
            }
        }
        base.Dispose(disposing);
    }

    private int Take(Span<byte> value, bool remove)
    {
        if (value.Length != Spec.ValueSize)
        {
            throw MapChecks.WrongSize(this, "value", value.Length, Spec.ValueSize);
        }
        lock (_lock)
        {
            var ring = Ring;
            if (_count == 0)
            {
                return -Errno.ENOENT;
            }
            var index = _lastInFirstOut ? (_head + _count - 1) % Spec.MaxEntries : _head;
            new ReadOnlySpan<byte>(ring + ((ulong)index * Spec.ValueSize), value.Length).CopyTo(value);
            if (remove)
            {
                _count--;
                if (!_lastInFirstOut)
                {
                    _head = (_head + 1) % Spec.MaxEntries;
                }
            }
            return 0;
        }
    }

    private byte* Ring
    {
        get
        {
            ObjectDisposedException.ThrowIf(_ring == null, this);
            return _ring;
        }
    }
}
