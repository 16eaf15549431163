using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using Bpftime.Diagnostics;
using Bpftime.Execution;
using Bpftime.Maps;

namespace Bpftime.Engines.Interpreter;

/// <summary>
/// The memory an unverified program may touch during one run: the context (r1..r1+r2 at entry),
/// the live stack frames (one contiguous range, since deeper frames sit below their callers), the
/// value regions of the program's maps, and, inside a callback, whatever the interrupted outer run
/// could reach. Checks of the stack and the context are inlined; the rest is off the hot path.
/// </summary>
internal struct AccessGuard
{
    public ulong ContextStart;
    public ulong ContextLength;
    /// <summary>Lowest address of the deepest live frame.</summary>
    public ulong StackLow;
    /// <summary>One past the highest address of frame 0.</summary>
    public ulong StackTop;
    /// <summary>Lowest address of the whole stack block (all frames, live or not), for messages.</summary>
    public ulong StackBlockLow;
    public ulong FrameSize;
    /// <summary>Each map with the value regions it had at load; a disposed map's regions no longer count.</summary>
    public (BpfMap Map, MemoryRegion[] Regions)[] MapRegions;
    public IReadOnlyList<BpfMap> Maps;
    public string ProgramName;
    public string? Origin;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Check(ulong address, int size, bool write, int pc)
    {
        // The stack range always spans at least 8 bytes, so the subtraction cannot wrap.
        if (address - StackLow <= StackTop - StackLow - (ulong)size)
        {
            return;
        }
        if (ContextLength >= (ulong)size && address - ContextStart <= ContextLength - (ulong)size)
        {
            return;
        }
        CheckElsewhere(address, size, write, pc);
    }

    private readonly void CheckElsewhere(ulong address, int size, bool write, int pc)
    {
        foreach (var (map, regions) in MapRegions)
        {
            if (!map.IsDisposed && Permits(regions, address, size, write, pc))
            {
                return;
            }
        }
        // Maps whose values come and go (hashes) are asked again: their regions may have grown since load.
        switch (Execution.AccessPolicy.ClassifyMaps(Maps, address, (ulong)size, write))
        {
            case Execution.AccessVerdict.Allowed:
                return;
            case Execution.AccessVerdict.ReadOnly:
                throw Raise(DiagnosticCodes.WriteToReadOnlyMemory, pc,
                    $"{Describe(address, size, write)} targets read-only map memory; programs may only read this map's values (.rodata or BPF_F_RDONLY_PROG)");
            case Execution.AccessVerdict.PastEnd:
                throw Raise(DiagnosticCodes.MapValueAccessOutOfBounds, pc,
                    $"{Describe(address, size, write)} starts inside map memory but runs past its end");
        }
        // A callback may use the frames and the context of the runs that called it.
        if (Execution.AccessPolicy.InCallers(Execution.ActiveRuns.Current, address, (ulong)size))
        {
            return;
        }
        Fault(address, size, write, pc);
    }

    // The array form enumerates without allocating: it runs on every map value access.
    private readonly bool Permits(MemoryRegion[] regions, ulong address, int size, bool write, int pc)
    {
        foreach (var region in regions)
        {
            if (Permits(region, address, size, write, pc))
            {
                return true;
            }
        }
        return false;
    }

    private readonly bool Permits(MemoryRegion region, ulong address, int size, bool write, int pc)
    {
        if (region.Contains(address, (ulong)size))
        {
            if (write && !region.Writable)
            {
                throw Raise(DiagnosticCodes.WriteToReadOnlyMemory, pc,
                    $"{Describe(address, size, write)} targets read-only map memory [{Hex((ulong)region.Start)}, {Hex((ulong)region.Start + region.Length)}); programs may only read this map's values (.rodata or BPF_F_RDONLY_PROG)");
            }
            return true;
        }
        if (address >= (ulong)region.Start && address < (ulong)region.Start + region.Length)
        {
            throw Raise(DiagnosticCodes.MapValueAccessOutOfBounds, pc,
                $"{Describe(address, size, write)} starts inside map memory [{Hex((ulong)region.Start)}, {Hex((ulong)region.Start + region.Length)}) but runs past its end");
        }
        return false;
    }

    [DoesNotReturn]
    private readonly void Fault(ulong address, int size, bool write, int pc)
    {
        var access = Describe(address, size, write);
        var stack = $"[{Hex(StackLow)}, {Hex(StackTop)})";
        // An address within a stack block's reach of the frames is a stack overrun, not a wild pointer.
        var stackReach = StackTop - StackBlockLow;
        if (address + (ulong)size > StackBlockLow - Math.Min(StackBlockLow, stackReach) && address < StackTop + stackReach)
        {
            throw Raise(DiagnosticCodes.StackAccessOutOfBounds, pc,
                $"{access} is outside the live stack frames {stack} ({(StackTop - StackLow) / FrameSize} frame(s) of {FrameSize} bytes); expected an address between r10 - {FrameSize} and r10 of a live frame");
        }
        if (address < 4096)
        {
            throw Raise(DiagnosticCodes.NullPointerAccess, pc,
                $"{access} goes through a null pointer; check the pointer (for example a map lookup's result) against 0 before using it");
        }
        const ulong contextReach = 4096;
        if (ContextStart != 0 && address + (ulong)size > ContextStart - Math.Min(ContextStart, contextReach) && address < ContextStart + ContextLength + contextReach)
        {
            throw Raise(DiagnosticCodes.ContextAccessOutOfBounds, pc,
                $"{access} is outside the context memory [{Hex(ContextStart)}, {Hex(ContextStart + ContextLength)}) of {ContextLength} bytes");
        }
        throw Raise(DiagnosticCodes.UnknownMemoryAccess, pc,
            $"{access} names no memory the program may reach; expected the context [{Hex(ContextStart)}, {Hex(ContextStart + ContextLength)}), the stack {stack} or a value of one of the program's {Maps.Count} map(s) (a stale or forged pointer?)");
    }

    public readonly BpfException Raise(string code, int pc, string message) =>
        new(new BpfDiagnostic(code, $"instruction {pc.ToString(CultureInfo.InvariantCulture)}: {message}", File: Origin, Program: ProgramName, InstructionIndex: pc));

    private static string Describe(ulong address, int size, bool write) =>
        $"{(write ? "write" : "read")} of {size.ToString(CultureInfo.InvariantCulture)} byte(s) at {Hex(address)}";

    private static string Hex(ulong value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);
}
