using System.Runtime.InteropServices;
using Bpftime.Compiler.IrGen;

namespace Bpftime.Compiler.LlvmJit;

/// <summary>
/// The per-run block checked code receives (offsets in <see cref="RunStateLayout"/>). It lives on the
/// caller's stack, so runs on several threads never share one.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = RunStateLayout.Size)]
internal struct LlvmRunState
{
    [FieldOffset(RunStateLayout.Exit)] public int Exit;
    [FieldOffset(RunStateLayout.FaultInstruction)] public int FaultInstruction;
    [FieldOffset(RunStateLayout.ContextStart)] public ulong ContextStart;
    [FieldOffset(RunStateLayout.ContextEnd)] public ulong ContextEnd;
    [FieldOffset(RunStateLayout.StackTop)] public ulong StackTop;
    [FieldOffset(RunStateLayout.Owner)] public nint Owner;
    [FieldOffset(RunStateLayout.FaultAddress)] public ulong FaultAddress;
    [FieldOffset(RunStateLayout.FaultSize)] public int FaultSize;
    [FieldOffset(RunStateLayout.FaultKind)] public FaultKind FaultKind;
    [FieldOffset(RunStateLayout.StackBottom)] public ulong StackBottom;
    [FieldOffset(RunStateLayout.FixedRegionsLive)] public int FixedRegionsLive;
    [FieldOffset(RunStateLayout.Budget)] public ulong Budget;
}
