using System.Runtime.InteropServices;
using Bpftime.Compiler.IrGen;

namespace Bpftime.Compiler.LlvmJit;

/// <summary>
/// The slow path of checked code's memory checks (<c>_bpf_memory_check</c>): an access outside the
/// context and the live stack is allowed when it falls in a value region of one of the program's
/// maps, read at the moment of the access since maps may grow while the program runs.
/// </summary>
internal static unsafe class MemoryCheck
{
    public static nint Entry { get; } = (nint)(delegate* unmanaged<LlvmRunState*, ulong, int, int>)&Check;

    [UnmanagedCallersOnly]
    private static int Check(LlvmRunState* state, ulong address, int sizeAndKind)
    {
        FaultKind verdict;
        try
        {
            var owner = GCHandle.FromIntPtr(state->Owner).Target as LlvmJitExecutable;
            verdict = owner?.CheckRegion(address, sizeAndKind & 0xff, (sizeAndKind & 0x100) != 0) ?? FaultKind.OutOfBounds;
        }
        catch (Exception)
        {
            // Nothing may unwind through generated code; an unreadable map is not a valid target.
            verdict = FaultKind.OutOfBounds;
        }
        if (verdict != FaultKind.None)
        {
            state->FaultAddress = address;
            state->FaultSize = sizeAndKind;
            state->FaultKind = verdict;
        }
        return (int)verdict;
    }
}
