using System.Runtime.InteropServices;
using Bpftime.Compiler.IrGen;
using Bpftime.Engines.Aot;

namespace Bpftime.Compiler.LlvmJit;

/// <summary>
/// The per-run block checked code receives (offsets in <see cref="AotCheckedAbi"/>). It lives on the
/// caller's stack, so runs on several threads never share one.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = AotCheckedAbi.Size)]
internal struct LlvmRunState
{
    [FieldOffset(AotCheckedAbi.Exit)] public int Exit;
    [FieldOffset(AotCheckedAbi.FaultInstruction)] public int FaultInstruction;
    [FieldOffset(AotCheckedAbi.ContextStart)] public ulong ContextStart;
    [FieldOffset(AotCheckedAbi.ContextEnd)] public ulong ContextEnd;
    [FieldOffset(AotCheckedAbi.StackTop)] public ulong StackTop;
    [FieldOffset(AotCheckedAbi.Owner)] public nint Owner;
    [FieldOffset(AotCheckedAbi.FaultAddress)] public ulong FaultAddress;
    [FieldOffset(AotCheckedAbi.FaultSize)] public int FaultSize;
    [FieldOffset(AotCheckedAbi.FaultKind)] public int FaultKind;
    [FieldOffset(AotCheckedAbi.StackBottom)] public ulong StackBottom;
    [FieldOffset(AotCheckedAbi.FixedRegionsLive)] public int FixedRegionsLive;
    [FieldOffset(AotCheckedAbi.Budget)] public ulong Budget;
}
