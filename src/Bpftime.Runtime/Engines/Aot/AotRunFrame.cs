using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Bpftime.Engines.Aot;

/// <summary>
/// One run of a linked program, on the managed caller's stack. The support code finds it through
/// <see cref="CurrentFrameEntry"/>: it restores <see cref="SavedStack"/> to stop a program whose helper
/// returned 0 with StopsProgramOnZero, and records calls by id to unknown helpers. The field order
/// is part of the support code's contract (offsets 0, 8, 16).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct AotRunFrame
{
    public nint SavedStack;
    public ulong FaultHelperId;
    public ulong Faulted;

    [ThreadStatic]
    private static unsafe AotRunFrame* t_current;

    public static unsafe AotRunFrame* Current
    {
        get => t_current;
        set => t_current = value;
    }

    /// <summary>C-callable <c>AotRunFrame* f(void)</c>: the frame of the run on this thread, or null.</summary>
    public static unsafe nint CurrentFrameEntry => (nint)(delegate* unmanaged[Cdecl]<nint>)&CurrentFrame;

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static unsafe nint CurrentFrame() => (nint)t_current;
}
