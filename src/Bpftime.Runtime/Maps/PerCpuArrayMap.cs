using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Bpftime.Execution;
using Bpftime.Objects;

namespace Bpftime.Maps;

/// <summary>
/// BPF_MAP_TYPE_PERCPU_ARRAY: <see cref="BpfMap.MaxEntries"/> values, each with one copy per
/// processor slot, in one zero-initialised unmanaged block (value i, slot s at (i x slots + s) x stride).
/// A program sees the copy of the processor it runs on; the host reads or writes every copy.
/// </summary>
public sealed unsafe class PerCpuArrayMap : BpfMap, IPerCpuMap
{
    private readonly ulong _elementBytes;
    private byte* _values;
    private IndexKeyTable? _indexKeys;

    public PerCpuArrayMap(MapSpec spec)
        : base(MapChecks.OfType(spec, MapType.PerCpuArray))
    {
        MapChecks.Require(spec, spec.KeySize == sizeof(uint), $"needs a 4-byte key (has {spec.KeySize})");
        MapChecks.Require(spec, spec.ValueSize is > 0 and <= 1 << 20, $"needs a value of 1 byte to 1 MiB (has {spec.ValueSize})");
        MapChecks.Require(spec, spec.MaxEntries > 0, "needs at least one entry");
        SlotStride = MapChecks.Stride(spec.ValueSize);
        _elementBytes = MapChecks.Product(spec, SlotStride, (ulong)SlotCount);
        var total = MapChecks.Product(spec, _elementBytes, spec.MaxEntries);
        MapChecks.RequireSize(spec, total);
        _values = (byte*)NativeMemory.AlignedAlloc((nuint)total, 8);
        NativeMemory.Clear(_values, (nuint)total);
    }

    public int SlotCount => PerCpu.SlotCount;

    /// <summary>Slot 0 of the first value: compiled code's inline lookups add (index x slots + slot) x stride to it (see <see cref="InlineLookup"/>).</summary>
    public nint StorageAddress => (nint)Values;

    public ulong SlotStride { get; }

    /// <summary>
    /// Compiled code copies a program's update into the copy of the processor it runs on itself (as
    /// <see cref="Update"/> does) only when programs may write the map: slot 0 of the first value, or 0.
    /// </summary>
    protected override nint InlineUpdateStorage => !IsReadOnlyForPrograms && _values != null ? (nint)_values : 0;

    public override nint Lookup(ReadOnlySpan<byte> key) => LookupSlot(ReadKey(key), PerCpu.CurrentSlot);

    public nint LookupSlot(ReadOnlySpan<byte> key, int slot) => LookupSlot(ReadKey(key), slot);

    /// <summary>The address of <paramref name="slot"/>'s copy of value <paramref name="index"/>, or 0 when the index is out of range.</summary>
    public nint LookupSlot(uint index, int slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, SlotCount);
        var values = Values;
        return index < Spec.MaxEntries ? (nint)(values + (index * _elementBytes) + ((ulong)slot * SlotStride)) : 0;
    }

    /// <summary>A value of <see cref="BpfMap.ValueSize"/> bytes sets the calling processor's copy (a program's update); one of slots x stride bytes sets every copy.</summary>
    public override int Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags)
    {
        var index = ReadKey(key);
        var allSlots = (ulong)value.Length == _elementBytes && value.Length != Spec.ValueSize;
        if (!allSlots && value.Length != Spec.ValueSize)
        {
            throw MapChecks.WrongSize(this, "value", value.Length, Spec.ValueSize);
        }
        if (flags > MapUpdateFlags.Exist)
        {
            return -Errno.EINVAL;
        }
        if (index >= Spec.MaxEntries)
        {
            return -Errno.E2BIG;
        }
        if (flags == MapUpdateFlags.NoExist)
        {
            return -Errno.EEXIST;
        }
        var element = Values + (index * _elementBytes);
        var target = allSlots ? element : element + ((ulong)PerCpu.CurrentSlot * SlotStride);
        value.CopyTo(new Span<byte>(target, value.Length));
        return 0;
    }

    public override int Delete(ReadOnlySpan<byte> key)
    {
        ReadKey(key);
        return -Errno.EINVAL;
    }

    public override int GetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey) => ArrayIteration.NextKey(this, key, nextKey);

    public override long ForEach(MapEntryVisitor visitor) => ArrayIteration.ForEach(this, visitor, IndexKeyTable.For(ref _indexKeys, Spec.MaxEntries));

    // Built once (again when the key table appears): run-time checks of unverified code ask for them on every out-of-line check.
    private MemoryRegion[]? _regions;

    public override bool HasFixedValueRegions => true;

    public override IEnumerable<MemoryRegion> ValueRegions
    {
        get
        {
            if (IsDisposed || _values == null)
            {
                return [];
            }
            var keys = _indexKeys;
            var regions = _regions;
            if (regions is null || (keys is not null && regions.Length == 1))
            {
                regions = keys is not null
                    ? [new MemoryRegion((nint)_values, _elementBytes * Spec.MaxEntries, true), keys.Region]
                    : [new MemoryRegion((nint)_values, _elementBytes * Spec.MaxEntries, true)];
                _regions = regions;
            }
            return regions;
        }
    }

    protected override void Dispose(bool disposing)
    {
        RetireStorage();
        _indexKeys?.Dispose();
        if (_values != null)
        {
            NativeMemory.AlignedFree(_values);
            _values = null;
        }
        base.Dispose(disposing);
    }

    private byte* Values
    {
        get
        {
            ObjectDisposedException.ThrowIf(_values == null, this);
            return _values;
        }
    }

    private uint ReadKey(ReadOnlySpan<byte> key)
    {
        MapChecks.Key(this, key);
        return BinaryPrimitives.ReadUInt32LittleEndian(key);
    }
}
