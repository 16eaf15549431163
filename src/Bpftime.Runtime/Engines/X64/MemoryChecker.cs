using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Bpftime.Engines.X64;

/// <summary>
/// The slow path of the run-time memory checks of unverified programs: an address outside the
/// live stack frames and the context is looked up in the value regions of the program's maps
/// (which may grow while the program runs, so they are read at the moment of the access).
/// </summary>
internal static unsafe class MemoryChecker
{
    public static nint Entry { get; } = (nint)(delegate* unmanaged<RunState*, ulong, int, int>)&Check;

    [UnmanagedCallersOnly]
    private static int Check(RunState* state, ulong address, int sizeAndKind)
    {
        JitFault result;
        try
        {
            var owner = GCHandle.FromIntPtr(state->Owner).Target as X64JitExecutable;
            result = owner?.CheckRegion(address, sizeAndKind & 0xff, (sizeAndKind & 0x100) != 0) ?? JitFault.OutOfBounds;
            if (result == JitFault.OutOfBounds && InOuterRun(state, address, (ulong)(sizeAndKind & 0xff)))
            {
                result = JitFault.None;
            }
        }
        catch (Exception)
        {
            // Nothing may unwind through generated code; an unreadable map is simply not a valid target.
            result = JitFault.OutOfBounds;
        }
        if (result != JitFault.None)
        {
            state->FaultAddress = address;
            state->FaultSize = sizeAndKind;
        }
        return (int)result;
    }

    /// <summary>Whether a callback's access falls in the stack or the context of a run it was called from.</summary>
    private static bool InOuterRun(RunState* state, ulong address, ulong size)
    {
        for (var outer = (RunState*)state->Outer; outer != null; outer = (RunState*)outer->Outer)
        {
            if (outer->StackTop != 0 && address >= outer->SavedStackPointer && address + size <= outer->StackTop)
            {
                return true;
            }
            if (address >= outer->ContextStart && address + size <= outer->ContextEnd)
            {
                return true;
            }
        }
        return false;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static JitFault Classify(IEnumerable<Maps.MemoryRegion> regions, ulong address, int size, bool write)
    {
        var readOnlyHit = false;
        foreach (var region in regions)
        {
            if (region.Contains(address, (ulong)size))
            {
                if (!write || region.Writable)
                {
                    return JitFault.None;
                }
                readOnlyHit = true;
            }
        }
        return readOnlyHit ? JitFault.ReadOnly : JitFault.OutOfBounds;
    }
}
