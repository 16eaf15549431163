using System.Buffers.Binary;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Objects;

namespace Bpftime.Maps;

/// <summary>
/// BPF_MAP_TYPE_PROG_ARRAY: slots holding programs that bpf_tail_call may continue in. The host fills
/// slots with <see cref="Set"/>; a 4-byte value written through <see cref="Update"/> names a program
/// by its index in the object (the role a program's file descriptor plays in the kernel), resolved by
/// <see cref="ProgramResolver"/>. Programs cannot write the map.
/// </summary>
public sealed class ProgramArrayMap : BpfMap
{
    private readonly IBpfExecutable?[] _programs;

    public ProgramArrayMap(MapSpec spec)
        : base(MapChecks.OfType(spec, MapType.ProgArray))
    {
        MapChecks.Require(spec, spec.KeySize == 4 && spec.ValueSize == 4, $"needs a 4-byte key and a 4-byte value (has key {spec.KeySize}, value {spec.ValueSize})");
        MapChecks.Require(spec, spec.MaxEntries is > 0 and <= 1 << 20, $"needs 1 to {1 << 20} entries (has {spec.MaxEntries})");
        _programs = new IBpfExecutable?[spec.MaxEntries];
    }

    /// <summary>Turns a program index given as a map value into the program; set by the object that owns the map.</summary>
    public Func<uint, IBpfExecutable?>? ProgramResolver { get; set; }

    /// <summary>The program in slot <paramref name="index"/>, or null when the slot is empty or out of range.</summary>
    public IBpfExecutable? Get(uint index) => index < _programs.Length ? Volatile.Read(ref _programs[index]) : null;

    /// <summary>Puts <paramref name="program"/> in slot <paramref name="index"/> (null empties it): 0, or -E2BIG past the end.</summary>
    public int Set(uint index, IBpfExecutable? program)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (index >= _programs.Length)
        {
            return -Errno.E2BIG;
        }
        Volatile.Write(ref _programs[index], program);
        return 0;
    }

    /// <summary>Program arrays hold no memory programs may address: lookups from programs find nothing.</summary>
    public override nint Lookup(ReadOnlySpan<byte> key) => 0;

    public override int Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags)
    {
        var index = ReadKey(key);
        if (value.Length != 4)
        {
            throw MapChecks.WrongSize(this, "value", value.Length, 4);
        }
        if (flags > MapUpdateFlags.Exist)
        {
            return -Errno.EINVAL;
        }
        if (index >= _programs.Length)
        {
            return -Errno.E2BIG;
        }
        if (flags == MapUpdateFlags.NoExist)
        {
            return -Errno.EEXIST;
        }
        var programIndex = BinaryPrimitives.ReadUInt32LittleEndian(value);
        var program = ProgramResolver?.Invoke(programIndex) ?? throw new BpfException(new BpfDiagnostic(DiagnosticCodes.InvalidTailCallTarget,
            $"program array '{Name}': no program with index {programIndex} in its object; give an index of one of the object's programs, or use Set with a loaded program"));
        return Set(index, program);
    }

    public override int Delete(ReadOnlySpan<byte> key)
    {
        var index = ReadKey(key);
        if (index >= _programs.Length)
        {
            return -Errno.E2BIG;
        }
        return Interlocked.Exchange(ref _programs[index], null) is null ? -Errno.ENOENT : 0;
    }

    public override int GetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey) => ArrayIteration.NextKey(this, key, nextKey);

    public override IEnumerable<MemoryRegion> ValueRegions => [];

    private uint ReadKey(ReadOnlySpan<byte> key)
    {
        MapChecks.Key(this, key);
        return BinaryPrimitives.ReadUInt32LittleEndian(key);
    }
}
