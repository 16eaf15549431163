namespace Bpftime.Compiler.Llvm;

// Opaque LLVM C API handles, one wrapper per C typedef so that the compiler cannot mix them up.
// Shaped like LLVMSharp.Interop's handle structs so that a later switch is mechanical.
#pragma warning disable SA1649, SA1402
public readonly record struct LLVMContextRef(nint Handle)
{
    public bool IsNull => Handle == 0;
}

public readonly record struct LLVMModuleRef(nint Handle)
{
    public bool IsNull => Handle == 0;
}

public readonly record struct LLVMTypeRef(nint Handle)
{
    public bool IsNull => Handle == 0;
}

public readonly record struct LLVMValueRef(nint Handle)
{
    public bool IsNull => Handle == 0;
}

public readonly record struct LLVMBasicBlockRef(nint Handle)
{
    public bool IsNull => Handle == 0;
}

public readonly record struct LLVMBuilderRef(nint Handle)
{
    public bool IsNull => Handle == 0;
}

public readonly record struct LLVMAttributeRef(nint Handle);

public readonly record struct LLVMErrorRef(nint Handle)
{
    public bool IsSuccess => Handle == 0;
}

public readonly record struct LLVMMemoryBufferRef(nint Handle);

public readonly record struct LLVMTargetRef(nint Handle);

public readonly record struct LLVMTargetMachineRef(nint Handle)
{
    public bool IsNull => Handle == 0;
}

public readonly record struct LLVMTargetDataRef(nint Handle);

public readonly record struct LLVMPassBuilderOptionsRef(nint Handle);

public readonly record struct LLVMOrcLLJITRef(nint Handle)
{
    public bool IsNull => Handle == 0;
}

public readonly record struct LLVMOrcLLJITBuilderRef(nint Handle);

public readonly record struct LLVMOrcJITDylibRef(nint Handle);

public readonly record struct LLVMOrcThreadSafeContextRef(nint Handle)
{
    public bool IsNull => Handle == 0;
}

public readonly record struct LLVMOrcThreadSafeModuleRef(nint Handle);

public readonly record struct LLVMOrcMaterializationUnitRef(nint Handle);

public readonly record struct LLVMOrcSymbolStringPoolEntryRef(nint Handle);

public readonly record struct LLVMOrcJITTargetMachineBuilderRef(nint Handle);
#pragma warning restore SA1649, SA1402
