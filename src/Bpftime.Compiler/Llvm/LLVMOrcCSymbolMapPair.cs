using System.Runtime.InteropServices;

namespace Bpftime.Compiler.Llvm;

// Laid out as in llvm-c/Orc.h.
[StructLayout(LayoutKind.Sequential)]
public struct LLVMOrcCSymbolMapPair
{
    public LLVMOrcSymbolStringPoolEntryRef Name;
    public LLVMJITEvaluatedSymbol Sym;
}
