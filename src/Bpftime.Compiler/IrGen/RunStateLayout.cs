using Bpftime.Engines.Aot;

namespace Bpftime.Compiler.IrGen;

/// <summary>
/// Byte offsets of the per-run block that checked code (unverified programs) receives as a third
/// entry argument, and the runtime symbols it calls. The same block carries the stop flag through
/// local calls. The contract is the runtime's <see cref="AotCheckedAbi"/>, which the AOT linker binds;
/// the LLVM JIT's managed mirror is <see cref="LlvmJit.LlvmRunState"/>.
/// </summary>
internal static class RunStateLayout
{
    public const int Exit = AotCheckedAbi.Exit;

    public const int FaultInstruction = AotCheckedAbi.FaultInstruction;

    public const int ContextStart = AotCheckedAbi.ContextStart;

    public const int ContextEnd = AotCheckedAbi.ContextEnd;

    public const int StackTop = AotCheckedAbi.StackTop;

    public const int Owner = AotCheckedAbi.Owner;

    public const int FaultAddress = AotCheckedAbi.FaultAddress;

    public const int FaultSize = AotCheckedAbi.FaultSize;

    public const int FaultKind = AotCheckedAbi.FaultKind;

    public const int StackBottom = AotCheckedAbi.StackBottom;

    public const int FixedRegionsLive = AotCheckedAbi.FixedRegionsLive;

    public const int Budget = AotCheckedAbi.Budget;

    public const int Size = AotCheckedAbi.Size;

    public const int Running = AotCheckedAbi.Running;

    public const int Stopped = AotCheckedAbi.Stopped;

    public const int Faulted = AotCheckedAbi.Faulted;

    public const string OwnerSymbol = AotCheckedAbi.OwnerSymbol;

    public const string CallbackFaultSymbol = AotCheckedAbi.CallbackFaultSymbol;

    public const string CallbackEnterSymbol = AotCheckedAbi.CallbackEnterSymbol;

    public const string CallbackLeaveSymbol = AotCheckedAbi.CallbackLeaveSymbol;

    public const string MemoryCheckSymbol = AotCheckedAbi.MemoryCheckSymbol;

    public const string CallbackFramesSymbol = AotCheckedAbi.CallbackFramesSymbol;
}
