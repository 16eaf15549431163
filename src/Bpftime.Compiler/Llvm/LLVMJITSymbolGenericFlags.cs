namespace Bpftime.Compiler.Llvm;

// Values as in the LLVM C API headers (unchanged from LLVM 15 to 19).
[Flags]
public enum LLVMJITSymbolGenericFlags : byte
{
    None = 0,
    Exported = 1,
    Weak = 2,
    Callable = 4,
}
