namespace Bpftime.Compiler.Llvm;

// Opaque LLVM C API handle: one wrapper per C typedef so that the compiler cannot mix them up.
public readonly record struct LLVMOrcMaterializationUnitRef(nint Handle);
