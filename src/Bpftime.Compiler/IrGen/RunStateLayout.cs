namespace Bpftime.Compiler.IrGen;

/// <summary>
/// Byte offsets of the per-run block that checked code (unverified programs) receives as a third
/// entry argument. The same block carries the stop flag through local calls. The managed mirror is
/// <see cref="LlvmJit.LlvmRunState"/>.
/// </summary>
internal static class RunStateLayout
{
    /// <summary>i32: 0 running, 1 stopped by a helper, 2 faulted.</summary>
    public const int Exit = 0;

    /// <summary>i32: slot of the faulting instruction.</summary>
    public const int FaultInstruction = 4;

    public const int ContextStart = 8;

    public const int ContextEnd = 16;

    /// <summary>One past the outermost frame; the entry writes it.</summary>
    public const int StackTop = 24;

    public const int Owner = 32;

    public const int FaultAddress = 40;

    /// <summary>i32: access size, 0x100 when a write.</summary>
    public const int FaultSize = 48;

    /// <summary>i32: see <see cref="FaultKind"/>.</summary>
    public const int FaultKind = 52;

    /// <summary>Lowest byte of the block holding every frame of the run; the entry writes it.</summary>
    public const int StackBottom = 56;

    /// <summary>i32: non-zero when every map behind the fixed regions is alive, so the inline region test may be used.</summary>
    public const int FixedRegionsLive = 64;

    public const int Size = 72;

    public const int Running = 0;

    public const int Stopped = 1;

    public const int Faulted = 2;

    /// <summary>Data symbol whose address is the GCHandle of the executable, so that callback entries can fill the run state's owner.</summary>
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

    /// <summary>Data symbol of the slow-path memory check: <c>i32 f(ptr state, i64 address, i32 sizeAndKind)</c>.</summary>
    public const string MemoryCheckSymbol = "_bpf_memory_check";
}
