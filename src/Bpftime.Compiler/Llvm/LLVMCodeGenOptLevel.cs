namespace Bpftime.Compiler.Llvm;

// Values as in the LLVM C API headers (unchanged from LLVM 15 to 19).
public enum LLVMCodeGenOptLevel
{
    LLVMCodeGenLevelNone,
    LLVMCodeGenLevelLess,
    LLVMCodeGenLevelDefault,
    LLVMCodeGenLevelAggressive,
}
