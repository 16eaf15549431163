using System.Runtime.InteropServices;

namespace Bpftime.Compiler.Llvm;

// Orc.h's plain structs, laid out as in C (the address is 64-bit on every host LLVM supports).
#pragma warning disable SA1649, SA1402
[StructLayout(LayoutKind.Sequential)]
public struct LLVMJITSymbolFlags
{
    public byte GenericFlags;
    public byte TargetFlags;
}

[StructLayout(LayoutKind.Sequential)]
public struct LLVMJITEvaluatedSymbol
{
    public ulong Address;
    public LLVMJITSymbolFlags Flags;
}

[StructLayout(LayoutKind.Sequential)]
public struct LLVMOrcCSymbolMapPair
{
    public LLVMOrcSymbolStringPoolEntryRef Name;
    public LLVMJITEvaluatedSymbol Sym;
}
#pragma warning restore SA1649, SA1402
