using System.Runtime.InteropServices;

namespace Bpftime.Compiler.Llvm;

public static unsafe partial class LLVM
{
    // ORC LLJIT (llvm-c/LLJIT.h, llvm-c/Orc.h).
    [LibraryImport(Lib, EntryPoint = "LLVMOrcCreateLLJITBuilder")]
    public static partial LLVMOrcLLJITBuilderRef OrcCreateLLJITBuilder();

    [LibraryImport(Lib, EntryPoint = "LLVMOrcDisposeLLJITBuilder")]
    public static partial void OrcDisposeLLJITBuilder(LLVMOrcLLJITBuilderRef builder);

    /// <summary>Hands <paramref name="machineBuilder"/> to the builder, which then owns it.</summary>
    [LibraryImport(Lib, EntryPoint = "LLVMOrcLLJITBuilderSetJITTargetMachineBuilder")]
    public static partial void OrcLLJITBuilderSetJITTargetMachineBuilder(LLVMOrcLLJITBuilderRef builder, LLVMOrcJITTargetMachineBuilderRef machineBuilder);

    /// <summary>Takes ownership of <paramref name="machine"/>.</summary>
    [LibraryImport(Lib, EntryPoint = "LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine")]
    public static partial LLVMOrcJITTargetMachineBuilderRef OrcJITTargetMachineBuilderCreateFromTargetMachine(LLVMTargetMachineRef machine);

    /// <summary>Consumes <paramref name="builder"/> (pass default to use the host's defaults).</summary>
    [LibraryImport(Lib, EntryPoint = "LLVMOrcCreateLLJIT")]
    public static partial LLVMErrorRef OrcCreateLLJIT(out LLVMOrcLLJITRef jit, LLVMOrcLLJITBuilderRef builder);

    [LibraryImport(Lib, EntryPoint = "LLVMOrcDisposeLLJIT")]
    public static partial LLVMErrorRef OrcDisposeLLJIT(LLVMOrcLLJITRef jit);

    [LibraryImport(Lib, EntryPoint = "LLVMOrcLLJITGetMainJITDylib")]
    public static partial LLVMOrcJITDylibRef OrcLLJITGetMainJITDylib(LLVMOrcLLJITRef jit);

    [LibraryImport(Lib, EntryPoint = "LLVMOrcLLJITGetTripleString")]
    private static partial nint OrcLLJITGetTripleStringRaw(LLVMOrcLLJITRef jit);

    public static string OrcLLJITGetTripleString(LLVMOrcLLJITRef jit) => Marshal.PtrToStringUTF8(OrcLLJITGetTripleStringRaw(jit)) ?? "";

    [LibraryImport(Lib, EntryPoint = "LLVMOrcLLJITGetDataLayoutStr")]
    private static partial nint OrcLLJITGetDataLayoutStrRaw(LLVMOrcLLJITRef jit);

    public static string OrcLLJITGetDataLayoutStr(LLVMOrcLLJITRef jit) => Marshal.PtrToStringUTF8(OrcLLJITGetDataLayoutStrRaw(jit)) ?? "";

    [LibraryImport(Lib, EntryPoint = "LLVMSetDataLayout", StringMarshalling = StringMarshalling.Utf8)]
    public static partial void SetDataLayout(LLVMModuleRef module, string layout);

    [LibraryImport(Lib, EntryPoint = "LLVMOrcLLJITMangleAndIntern", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMOrcSymbolStringPoolEntryRef OrcLLJITMangleAndIntern(LLVMOrcLLJITRef jit, string unmangledName);

    [LibraryImport(Lib, EntryPoint = "LLVMOrcAbsoluteSymbols")]
    private static partial LLVMOrcMaterializationUnitRef OrcAbsoluteSymbolsRaw(LLVMOrcCSymbolMapPair* pairs, nuint count);

    /// <summary>A unit defining each name at a fixed address; takes over the names' references.</summary>
    public static LLVMOrcMaterializationUnitRef OrcAbsoluteSymbols(ReadOnlySpan<LLVMOrcCSymbolMapPair> pairs)
    {
        fixed (LLVMOrcCSymbolMapPair* p = pairs)
        {
            return OrcAbsoluteSymbolsRaw(p, (nuint)pairs.Length);
        }
    }

    [LibraryImport(Lib, EntryPoint = "LLVMOrcJITDylibDefine")]
    public static partial LLVMErrorRef OrcJITDylibDefine(LLVMOrcJITDylibRef dylib, LLVMOrcMaterializationUnitRef unit);

    [LibraryImport(Lib, EntryPoint = "LLVMOrcDisposeMaterializationUnit")]
    public static partial void OrcDisposeMaterializationUnit(LLVMOrcMaterializationUnitRef unit);

    [LibraryImport(Lib, EntryPoint = "LLVMOrcCreateNewThreadSafeContext")]
    public static partial LLVMOrcThreadSafeContextRef OrcCreateNewThreadSafeContext();

    [LibraryImport(Lib, EntryPoint = "LLVMOrcDisposeThreadSafeContext")]
    public static partial void OrcDisposeThreadSafeContext(LLVMOrcThreadSafeContextRef context);

    /// <summary>The context inside a thread-safe context (LLVM 15 to 20; later versions build it from an existing context).</summary>
    public static LLVMContextRef OrcThreadSafeContextGetContext(LLVMOrcThreadSafeContextRef context)
    {
        var function = LlvmLibrary.RequiredExport("LLVMOrcThreadSafeContextGetContext");
        return ((delegate* unmanaged<LLVMOrcThreadSafeContextRef, LLVMContextRef>)function)(context);
    }

    /// <summary>Wraps a context that the thread-safe context then owns (LLVM 21 and newer), or null when absent.</summary>
    public static LLVMOrcThreadSafeContextRef OrcCreateNewThreadSafeContextFromLLVMContext(LLVMContextRef context)
    {
        var function = LlvmLibrary.OptionalExport("LLVMOrcCreateNewThreadSafeContextFromLLVMContext");
        return function == 0 ? default : ((delegate* unmanaged<LLVMContextRef, LLVMOrcThreadSafeContextRef>)function)(context);
    }

    [LibraryImport(Lib, EntryPoint = "LLVMOrcCreateNewThreadSafeModule")]
    public static partial LLVMOrcThreadSafeModuleRef OrcCreateNewThreadSafeModule(LLVMModuleRef module, LLVMOrcThreadSafeContextRef context);

    [LibraryImport(Lib, EntryPoint = "LLVMOrcDisposeThreadSafeModule")]
    public static partial void OrcDisposeThreadSafeModule(LLVMOrcThreadSafeModuleRef module);

    /// <summary>On success the JIT owns <paramref name="module"/>.</summary>
    [LibraryImport(Lib, EntryPoint = "LLVMOrcLLJITAddLLVMIRModule")]
    public static partial LLVMErrorRef OrcLLJITAddLLVMIRModule(LLVMOrcLLJITRef jit, LLVMOrcJITDylibRef dylib, LLVMOrcThreadSafeModuleRef module);

    [LibraryImport(Lib, EntryPoint = "LLVMOrcLLJITLookup", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMErrorRef OrcLLJITLookup(LLVMOrcLLJITRef jit, out ulong address, string name);
}
