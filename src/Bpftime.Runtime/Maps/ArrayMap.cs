using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Bpftime.Diagnostics;
using Bpftime.Execution;
using Bpftime.Objects;

namespace Bpftime.Maps;

/// <summary>
/// BPF_MAP_TYPE_ARRAY: <see cref="MapSpec.MaxEntries"/> values in one zero-initialised block of
/// unmanaged memory, indexed by a u32 key. Each value starts on an 8-byte boundary, so programs may
/// use 64-bit atomics on it, and its address never changes while the map lives. Global data
/// (.data, .rodata, .bss) is an array of one entry whose value is the section.
/// </summary>
public sealed unsafe class ArrayMap : BpfMap
{
    /// <summary>Largest block the map will allocate (the kernel's limits are in the same order).</summary>
    public const ulong MaxTotalBytes = 1UL << 32;

    private byte* _values;
    private IndexKeyTable? _indexKeys;
    private int? _spinLockOffset;
    private readonly ulong _totalBytes;

    public ArrayMap(MapSpec spec)
        : base(CheckSpec(spec))
    {
        ValueStride = (spec.ValueSize + 7UL) & ~7UL;
        _totalBytes = ValueStride * spec.MaxEntries;
        _values = (byte*)NativeMemory.AlignedAlloc((nuint)_totalBytes, 8);
        NativeMemory.Clear(_values, (nuint)_totalBytes);
        if (spec.InitialValue is { } initial)
        {
            initial.Span.CopyTo(new Span<byte>(_values, (int)spec.ValueSize));
        }
    }

    /// <summary>An array map of <paramref name="maxEntries"/> values of <paramref name="valueSize"/> bytes.</summary>
    public static ArrayMap Create(string name, uint valueSize, uint maxEntries, bool readOnlyForPrograms = false) =>
        new(new MapSpec(name, MapType.Array, 4, valueSize, maxEntries) { IsReadOnlyForPrograms = readOnlyForPrograms });

    /// <summary>Bytes between the starts of two consecutive values (the value size rounded up to 8).</summary>
    public ulong ValueStride { get; }

    /// <summary>The first value's address: compiled code's inline lookups add index x stride to it (see <see cref="InlineLookup"/>).</summary>
    public nint StorageAddress => (nint)Values;

    /// <summary>BPF_F_RDONLY_PROG: programs may read the map but not write it.</summary>
    public const uint ReadOnlyForProgramsFlag = 1u << 7;

    /// <summary>Where the value's bpf_spin_lock is (from BTF), or null: needed for BPF_F_LOCK updates.</summary>
    public int? SpinLockOffset
    {
        get => _spinLockOffset;
        set
        {
            _spinLockOffset = value is null || (value >= 0 && value + BpfSpinLock.Size <= Spec.ValueSize) ? value
                : throw new ArgumentOutOfRangeException(nameof(value), value, $"the lock must lie within the {Spec.ValueSize}-byte value");
            RefreshInlineUpdate();
        }
    }

    /// <summary>
    /// Compiled code copies a program's update into the value itself (as <see cref="Update(uint, ReadOnlySpan{byte}, ulong)"/>
    /// does, without the lock-word rules) only when programs may write the map and no bpf_spin_lock lies in its values.
    /// </summary>
    protected override nint InlineUpdateStorage => WritableByPrograms && _spinLockOffset is null && _values != null ? (nint)_values : 0;

    /// <summary>Whether programs may write the values (false for .rodata and BPF_F_RDONLY_PROG).</summary>
    public bool WritableByPrograms => !Spec.IsReadOnlyForPrograms && (Spec.Flags & ReadOnlyForProgramsFlag) == 0;

    /// <summary>The spec's read-only mark or BPF_F_RDONLY_PROG.</summary>
    public override bool IsReadOnlyForPrograms => !WritableByPrograms;

    private volatile bool _frozen;

    /// <summary>
    /// Whether the host may no longer write the values either. Read-only global data (.rodata) is
    /// frozen once its object is loaded, as libbpf freezes it: the verifier took its bytes as
    /// constants, so a later write would void what it proved. Host-chosen bytes go in before the load.
    /// </summary>
    public bool IsFrozen => _frozen;

    internal void Freeze() => _frozen = true;

    /// <summary>The address of the value at <paramref name="index"/>, or 0 when the index is out of range.</summary>
    public nint Lookup(uint index)
    {
        var values = Values;
        return index < Spec.MaxEntries ? (nint)(values + (index * ValueStride)) : 0;
    }

    public override nint Lookup(ReadOnlySpan<byte> key) => Lookup(ReadKey(key));

    /// <summary>The value at <paramref name="index"/> to read, in the map's memory (also for read-only data frozen at load).</summary>
    public ReadOnlySpan<byte> ReadValue(uint index)
    {
        var address = Lookup(index);
        if (address == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"array map '{Name}' has {Spec.MaxEntries} entries");
        }
        return new ReadOnlySpan<byte>((void*)address, (int)Spec.ValueSize);
    }

    /// <summary>The value at <paramref name="index"/> as a span over the map's memory (host access; writes are seen by programs; BPF4138 once frozen).</summary>
    public Span<byte> GetValue(uint index)
    {
        if (_frozen)
        {
            throw Frozen();
        }
        var value = ReadValue(index);
        return new Span<byte>((void*)Lookup(index), value.Length);
    }

    public override int Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags)
    {
        var index = ReadKey(key);
        if (value.Length != Spec.ValueSize)
        {
            throw WrongSize("value", value.Length, Spec.ValueSize);
        }
        return Update(index, value, flags);
    }

    /// <summary>Replaces the value at <paramref name="index"/>: 0, -EINVAL (bad flags), -E2BIG (index out of range), -EEXIST (BPF_NOEXIST: array entries always exist) or -EPERM (frozen, as the kernel answers for a frozen map).</summary>
    public int Update(uint index, ReadOnlySpan<byte> value, ulong flags)
    {
        if (_frozen)
        {
            return -Errno.EPERM;
        }
        var values = Values;
        var locked = (flags & MapUpdateFlags.Lock) != 0;
        var mode = flags & ~MapUpdateFlags.Lock;
        if (mode > MapUpdateFlags.Exist || (locked && SpinLockOffset is null))
        {
            // BPF_F_LOCK needs a bpf_spin_lock in the value (found through the object's BTF).
            return -Errno.EINVAL;
        }
        if (index >= Spec.MaxEntries)
        {
            return -Errno.E2BIG;
        }
        if (mode == MapUpdateFlags.NoExist)
        {
            return -Errno.EEXIST;
        }
        var source = value[..Math.Min(value.Length, (int)Spec.ValueSize)];
        var target = values + (index * ValueStride);
        if (SpinLockOffset is { } lockOffset && source.Length == Spec.ValueSize)
        {
            // As the kernel's copy_map_value: the lock itself is never overwritten.
            if (locked)
            {
                BpfSpinLock.CopyLocked(source, target, lockOffset);
            }
            else
            {
                source[..lockOffset].CopyTo(new Span<byte>(target, lockOffset));
                source[(lockOffset + BpfSpinLock.Size)..].CopyTo(new Span<byte>(target + lockOffset + BpfSpinLock.Size, source.Length - lockOffset - BpfSpinLock.Size));
            }
            return 0;
        }
        source.CopyTo(new Span<byte>(target, (int)Spec.ValueSize));
        return 0;
    }

    /// <summary>The error for a host write into frozen read-only data.</summary>
    internal BpfException Frozen() => BpfException.Create(DiagnosticCodes.ReadOnlyDataFrozen,
        $"map '{Name}' is read-only data frozen at load: the verifier took its bytes as constants, so the host may read it but not change it; set it before the load instead (the skeleton's Open() then Load(), or BpfLoadOptions.ReadOnlyData), or keep values that change in .data");

    /// <summary>Array entries cannot be deleted: always -EINVAL, as in the kernel.</summary>
    public override int Delete(ReadOnlySpan<byte> key)
    {
        ReadKey(key);
        return -Errno.EINVAL;
    }

    public override int GetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey) => ArrayIteration.NextKey(this, key, nextKey);

    public override long ForEach(MapEntryVisitor visitor) => ArrayIteration.ForEach(this, visitor, IndexKeyTable.For(ref _indexKeys, Spec.MaxEntries));

    public override nint DirectValueAddress(uint offset)
    {
        var values = Values;
        if (offset >= Spec.ValueSize)
        {
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.ArrayMapDirectValueOutOfRange,
                $"offset {offset} is past the end of the {Spec.ValueSize}-byte value of map '{Name}'; the object's relocation does not fit this map"));
        }
        return (nint)(values + offset);
    }

    // Built once (again when the key table appears): run-time checks of unverified code ask for them on every out-of-line check.
    private MemoryRegion[]? _regions;

    public override bool HasFixedValueRegions => true;

    public override IEnumerable<MemoryRegion> ValueRegions
    {
        get
        {
            if (IsDisposed)
            {
                return [];
            }
            var keys = _indexKeys;
            var regions = _regions;
            if (regions is null || (keys is not null && regions.Length == 1))
            {
                regions = keys is not null
                    ? [new MemoryRegion((nint)_values, _totalBytes, WritableByPrograms), keys.Region]
                    : [new MemoryRegion((nint)_values, _totalBytes, WritableByPrograms)];
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
        if (key.Length != sizeof(uint))
        {
            throw WrongSize("key", key.Length, sizeof(uint));
        }
        return BinaryPrimitives.ReadUInt32LittleEndian(key);
    }

    private BpfException WrongSize(string what, int given, uint expected) =>
        new(new BpfDiagnostic(DiagnosticCodes.ArrayMapWrongSize,
            $"array map '{Name}' takes a {expected}-byte {what}, not {given} bytes"));

    private static MapSpec CheckSpec(MapSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Type != MapType.Array)
        {
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.ArrayMapWrongType,
                $"map '{spec.Name}' is of type {spec.Type}, not Array; create it with the map type that implements {spec.Type}"));
        }
        if (spec.KeySize != sizeof(uint) || spec.ValueSize == 0 || spec.MaxEntries == 0)
        {
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.InvalidArrayMapSpec,
                $"array map '{spec.Name}' needs a 4-byte key, a non-empty value and at least one entry (has key {spec.KeySize}, value {spec.ValueSize}, max entries {spec.MaxEntries})"));
        }
        var stride = (spec.ValueSize + 7UL) & ~7UL;
        // Checked: a product that wrapped around would pass the limit and allocate a sliver.
        var total = Math.BigMul(stride, spec.MaxEntries, out var low) == 0 ? low : ulong.MaxValue;
        if (total > MaxTotalBytes || spec.ValueSize > int.MaxValue)
        {
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.InvalidArrayMapSpec,
                $"array map '{spec.Name}' would need {(total == ulong.MaxValue ? "more than 2^64" : total.ToString(System.Globalization.CultureInfo.InvariantCulture))} bytes, more than the limit of {MaxTotalBytes}; lower max_entries or the value size"));
        }
        if (spec.InitialValue is { } initial && initial.Length > spec.ValueSize)
        {
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.ArrayMapInitialValueTooLong,
                $"array map '{spec.Name}' has an initial value of {initial.Length} bytes but a value size of {spec.ValueSize}"));
        }
        return spec;
    }
}
