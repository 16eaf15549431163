namespace Bpftime.Engines.Aot;

/// <summary>
/// The contract between checked native code (programs compiled with run-time memory checks because
/// nothing proved them safe) and the runtime that runs it: the entry takes a third argument, a
/// per-run block laid out as below, and calls the functions named here, which the runtime's linker
/// binds (or an in-process JIT defines). The code tests the context and the live stack inline and
/// asks <see cref="MemoryCheckSymbol"/> about anything else; a refusal records the fault in the block
/// and every function returns, so the caller raises it.
/// </summary>
public static class AotCheckedAbi
{
    /// <summary>i32: 0 running, 1 stopped by a helper, 2 faulted.</summary>
    public const int Exit = 0;

    /// <summary>i32: slot of the faulting instruction.</summary>
    public const int FaultInstruction = 4;

    public const int ContextStart = 8;

    public const int ContextEnd = 16;

    /// <summary>One past the outermost frame; the entry writes it.</summary>
    public const int StackTop = 24;

    /// <summary>A GCHandle of the runtime object that answers the slow path.</summary>
    public const int Owner = 32;

    public const int FaultAddress = 40;

    /// <summary>i32: access size, 0x100 when a write.</summary>
    public const int FaultSize = 48;

    /// <summary>i32: one of the Fault* values.</summary>
    public const int FaultKind = 52;

    /// <summary>
    /// Lowest byte of the live frames: the entry writes the bottom of the block holding every frame of
    /// the run, and each function writes its own frame's bottom before it calls a helper (frames below
    /// it are dead and may hold stale bytes).
    /// </summary>
    public const int StackBottom = 56;

    /// <summary>i32: non-zero when the maps behind inline-tested fixed regions are alive (in-process code only).</summary>
    public const int FixedRegionsLive = 64;

    /// <summary>
    /// u64: backward jumps, local calls and callbacks the run may still take; the code faults with
    /// <see cref="FaultBudgetExhausted"/> when one is due and this is 0. The caller of an entry fills
    /// it; <see cref="CallbackEnterSymbol"/> fills a callback's from the run above and
    /// <see cref="CallbackLeaveSymbol"/> hands back what is left.
    /// </summary>
    public const int Budget = 72;

    public const int Size = 80;

    /// <summary>
    /// Version of this contract, recorded for each program in the object's metadata
    /// (<see cref="AotProgram.CheckedAbi"/>). 2 added <see cref="Budget"/>; objects of version 1
    /// (no field in the metadata) could loop for ever, so the linker refuses them. 3: verified entries
    /// take the run state too and record their frames in <see cref="StackBottom"/>/<see cref="StackTop"/>
    /// (one block, the bottom moved before each helper call); older verified objects record nothing,
    /// so helpers could not bound what a program's pointers reach, and the linker refuses them.
    /// </summary>
    public const int Version = 3;

    public const int Running = 0;

    public const int Stopped = 1;

    public const int Faulted = 2;

    public const int FaultNone = 0;

    public const int FaultOutOfBounds = 1;

    public const int FaultReadOnly = 2;

    public const int FaultUnknownHelper = 3;

    /// <summary>The run spent its execution budget (<see cref="Budget"/>).</summary>
    public const int FaultBudgetExhausted = 4;

    /// <summary>Data symbol whose address is the GCHandle of the runtime object, so that callback entries can fill the block's owner field.</summary>
    public const string OwnerSymbol = "_bpf_run_owner";

    /// <summary>Function a callback entry calls when its run faulted: <c>void f(ptr state)</c>; records the fault for the caller.</summary>
    public const string CallbackFaultSymbol = "_bpf_callback_fault";

    /// <summary>
    /// Function a checked callback entry calls first: <c>i32 f(ptr state)</c>; non-zero when callbacks
    /// already nest as deep as allowed (the fault is then recorded) so the callback must not run.
    /// </summary>
    public const string CallbackEnterSymbol = "_bpf_callback_enter";

    /// <summary>Function a checked callback entry calls when its function returns: <c>void f()</c>.</summary>
    public const string CallbackLeaveSymbol = "_bpf_callback_leave";

    /// <summary>The slow path of the memory checks: <c>i32 f(ptr state, i64 address, i32 sizeAndKind)</c>, 0 when allowed.</summary>
    public const string MemoryCheckSymbol = "_bpf_memory_check";

    /// <summary>
    /// Function a verified callback entry that records its frames calls before its function runs:
    /// <c>void f(ptr state)</c>; the callback's run then reads its frames from that run state.
    /// </summary>
    public const string CallbackFramesSymbol = "_bpf_callback_frames";

    /// <summary>Every function the linker binds for the run state's code.</summary>
    public static IReadOnlyList<string> FunctionSymbols { get; } =
        [MemoryCheckSymbol, CallbackFaultSymbol, CallbackEnterSymbol, CallbackLeaveSymbol, CallbackFramesSymbol];
}
