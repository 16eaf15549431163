using System.Runtime.InteropServices;

namespace Bpftime.Engines.X64;

/// <summary>
/// Per-run block the generated code keeps in r12: where the native stack was at entry (so that any
/// exit, fault or stop can unwind from any call depth), the local-call depth, the bounds the inline
/// memory checks use, and the fault record the managed side turns into a <see cref="Diagnostics.BpfException"/>.
/// It lives on the caller's stack, so runs on several threads never share one.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 144)]
internal struct RunState
{
    public const int SavedStackPointerOffset = 0;
    public const int CallDepthOffset = 8;
    public const int FaultOffset = 12;
    public const int FaultInstructionOffset = 16;
    public const int ContextStartOffset = 24;
    public const int ContextEndOffset = 32;
    public const int StackTopOffset = 40;
    public const int OwnerOffset = 48;
    public const int FaultAddressOffset = 56;
    public const int TailCallTargetOffset = 64;
    public const int TailCallCountOffset = 72;
    public const int FaultSizeOffset = 76;
    public const int OuterOffset = 80;
    public const int FixedRegionsLiveOffset = 88;
    public const int BudgetOffset = 96;
    public const int StackLowOffset = 104;
    /// <summary>Four u64 for access sizes 1, 2, 4 and 8, see <see cref="SetContext"/>.</summary>
    public const int ContextLimitsOffset = 112;

    [FieldOffset(SavedStackPointerOffset)] public ulong SavedStackPointer;
    [FieldOffset(CallDepthOffset)] public int CallDepth;
    [FieldOffset(FaultOffset)] public JitFault Fault;
    [FieldOffset(FaultInstructionOffset)] public int FaultInstruction;
    [FieldOffset(ContextStartOffset)] public ulong ContextStart;
    [FieldOffset(ContextEndOffset)] public ulong ContextEnd;
    /// <summary>One past the highest byte of the outermost eBPF frame.</summary>
    [FieldOffset(StackTopOffset)] public ulong StackTop;
    /// <summary>A GCHandle to the running executable, for the slow path of the memory checks.</summary>
    [FieldOffset(OwnerOffset)] public nint Owner;
    [FieldOffset(FaultAddressOffset)] public ulong FaultAddress;
    /// <summary>Set by a tail-call helper: the body entry of the program to continue in (see <see cref="X64Compiler"/>).</summary>
    [FieldOffset(TailCallTargetOffset)] public nint TailCallTarget;
    [FieldOffset(TailCallCountOffset)] public int TailCallCount;
    /// <summary>Access size in the low byte, 0x100 when it was a write.</summary>
    [FieldOffset(FaultSizeOffset)] public int FaultSize;
    /// <summary>Inside a callback: the run whose helper called it, whose stack and context the callback may use.</summary>
    [FieldOffset(OuterOffset)] public nint Outer;
    /// <summary>Non-zero when every map behind the running program's fixed value regions is alive, so the inline region test may be used.</summary>
    [FieldOffset(FixedRegionsLiveOffset)] public int FixedRegionsLive;
    /// <summary>
    /// Checked code: backward jumps, local calls and callbacks the run may still take. The entry's
    /// prologue sets it; a callback entry takes it from <see cref="Outer"/> and hands it back.
    /// </summary>
    [FieldOffset(BudgetOffset)] public ulong Budget;
    /// <summary>
    /// The lowest byte of the live frames (the innermost frame's bottom), stored at entry and before
    /// every helper call, so that helpers see only live frames, not the stale bytes of frames that
    /// local calls have left (which lie below it in the frame block).
    /// </summary>
    [FieldOffset(StackLowOffset)] public ulong StackLow;
    [FieldOffset(ContextLimitsOffset)] public ulong ContextLimit1;
    [FieldOffset(ContextLimitsOffset + 8)] public ulong ContextLimit2;
    [FieldOffset(ContextLimitsOffset + 16)] public ulong ContextLimit4;
    [FieldOffset(ContextLimitsOffset + 24)] public ulong ContextLimit8;

    /// <summary>Where the limit for an access of <paramref name="size"/> bytes (1, 2, 4 or 8) lies.</summary>
    public static int ContextLimitOffset(int size) => ContextLimitsOffset + 8 * System.Numerics.BitOperations.Log2((uint)size);

    /// <summary>
    /// The context [start, end), and for each access size the count of addresses such an access may
    /// start at (0 when the context is shorter than the access), so that the inline check is one
    /// unsigned compare: address - start &lt; limit. An address below start wraps to a huge offset, and
    /// no start the limit admits lets the access's end pass end.
    /// </summary>
    public void SetContext(ulong start, ulong end)
    {
        ContextStart = start;
        ContextEnd = end;
        var length = end >= start ? end - start : 0;
        ContextLimit1 = length;
        ContextLimit2 = length >= 2 ? length - 1 : 0;
        ContextLimit4 = length >= 4 ? length - 3 : 0;
        ContextLimit8 = length >= 8 ? length - 7 : 0;
    }
}
