using System.Runtime.InteropServices;

namespace Bpftime.Compiler.Llvm;

// Laid out as in llvm-c/Orc.h.
[StructLayout(LayoutKind.Sequential)]
public struct LLVMJITSymbolFlags
{
    public byte GenericFlags;
    public byte TargetFlags;
}
