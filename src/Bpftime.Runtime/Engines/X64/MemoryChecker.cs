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
            if (result == JitFault.OutOfBounds && Execution.AccessPolicy.InCallers(Execution.ActiveRuns.Current, address, (ulong)(sizeAndKind & 0xff)))
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
}
