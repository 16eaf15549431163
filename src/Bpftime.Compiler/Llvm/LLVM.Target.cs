using System.Runtime.InteropServices;

namespace Bpftime.Compiler.Llvm;

public static unsafe partial class LLVM
{
    // Target registration: the compiler emits for x86-64 and AArch64 only.
    [LibraryImport(Lib, EntryPoint = "LLVMInitializeX86TargetInfo")]
    public static partial void InitializeX86TargetInfo();

    [LibraryImport(Lib, EntryPoint = "LLVMInitializeX86Target")]
    public static partial void InitializeX86Target();

    [LibraryImport(Lib, EntryPoint = "LLVMInitializeX86TargetMC")]
    public static partial void InitializeX86TargetMC();

    [LibraryImport(Lib, EntryPoint = "LLVMInitializeX86AsmPrinter")]
    public static partial void InitializeX86AsmPrinter();

    [LibraryImport(Lib, EntryPoint = "LLVMInitializeAArch64TargetInfo")]
    public static partial void InitializeAArch64TargetInfo();

    [LibraryImport(Lib, EntryPoint = "LLVMInitializeAArch64Target")]
    public static partial void InitializeAArch64Target();

    [LibraryImport(Lib, EntryPoint = "LLVMInitializeAArch64TargetMC")]
    public static partial void InitializeAArch64TargetMC();

    [LibraryImport(Lib, EntryPoint = "LLVMInitializeAArch64AsmPrinter")]
    public static partial void InitializeAArch64AsmPrinter();

    [LibraryImport(Lib, EntryPoint = "LLVMParseCommandLineOptions")]
    private static partial void ParseCommandLineOptionsRaw(int count, nint* arguments, nint overview);

    /// <summary>
    /// Sets LLVM's process-wide options as a command line would (<paramref name="arguments"/> without
    /// the program name). LLVM reports a bad option on a stream that goes nowhere and keeps going, so
    /// an option this libLLVM lacks is ignored rather than fatal.
    /// </summary>
    public static void ParseCommandLineOptions(ReadOnlySpan<string> arguments)
    {
        var pointers = new nint[arguments.Length + 1];
        try
        {
            pointers[0] = Marshal.StringToCoTaskMemUTF8("bpftime");
            for (var i = 0; i < arguments.Length; i++)
            {
                pointers[i + 1] = Marshal.StringToCoTaskMemUTF8(arguments[i]);
            }
            fixed (nint* argv = pointers)
            {
                ParseCommandLineOptionsRaw(pointers.Length, argv, pointers[0]);
            }
        }
        finally
        {
            foreach (var pointer in pointers)
            {
                Marshal.FreeCoTaskMem(pointer);
            }
        }
    }

    [LibraryImport(Lib, EntryPoint = "LLVMGetTargetFromTriple", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int GetTargetFromTripleRaw(string triple, out LLVMTargetRef target, out nint error);

    /// <summary>The registered target for <paramref name="triple"/>, or false with LLVM's reason.</summary>
    public static bool TryGetTargetFromTriple(string triple, out LLVMTargetRef target, out string? error)
    {
        var failed = GetTargetFromTripleRaw(triple, out target, out var raw) != 0;
        error = TakeMessage(raw);
        return !failed;
    }

    [LibraryImport(Lib, EntryPoint = "LLVMCreateTargetMachine", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMTargetMachineRef CreateTargetMachine(LLVMTargetRef target, string triple, string cpu, string features,
        LLVMCodeGenOptLevel level, LLVMRelocMode relocation, LLVMCodeModel codeModel);

    [LibraryImport(Lib, EntryPoint = "LLVMDisposeTargetMachine")]
    public static partial void DisposeTargetMachine(LLVMTargetMachineRef machine);

    [LibraryImport(Lib, EntryPoint = "LLVMCreateTargetDataLayout")]
    public static partial LLVMTargetDataRef CreateTargetDataLayout(LLVMTargetMachineRef machine);

    [LibraryImport(Lib, EntryPoint = "LLVMSetModuleDataLayout")]
    public static partial void SetModuleDataLayout(LLVMModuleRef module, LLVMTargetDataRef layout);

    [LibraryImport(Lib, EntryPoint = "LLVMDisposeTargetData")]
    public static partial void DisposeTargetData(LLVMTargetDataRef layout);

    [LibraryImport(Lib, EntryPoint = "LLVMTargetMachineEmitToMemoryBuffer")]
    private static partial int TargetMachineEmitToMemoryBufferRaw(LLVMTargetMachineRef machine, LLVMModuleRef module, LLVMCodeGenFileType fileType,
        out nint error, out LLVMMemoryBufferRef buffer);

    /// <summary>Emits the module as an object (or assembly) file and returns its bytes.</summary>
    public static byte[] TargetMachineEmitToMemory(LLVMTargetMachineRef machine, LLVMModuleRef module, LLVMCodeGenFileType fileType, out string? error)
    {
        var failed = TargetMachineEmitToMemoryBufferRaw(machine, module, fileType, out var raw, out var buffer) != 0;
        error = TakeMessage(raw);
        if (failed)
        {
            error ??= "LLVM could not emit the module";
            return [];
        }
        try
        {
            return new ReadOnlySpan<byte>(GetBufferStart(buffer), checked((int)GetBufferSize(buffer))).ToArray();
        }
        finally
        {
            DisposeMemoryBuffer(buffer);
        }
    }

    [LibraryImport(Lib, EntryPoint = "LLVMGetDefaultTargetTriple")]
    private static partial nint GetDefaultTargetTripleRaw();

    public static string GetDefaultTargetTriple() => TakeMessage(GetDefaultTargetTripleRaw()) ?? "";

    [LibraryImport(Lib, EntryPoint = "LLVMNormalizeTargetTriple", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint NormalizeTargetTripleRaw(string triple);

    public static string NormalizeTargetTriple(string triple) => TakeMessage(NormalizeTargetTripleRaw(triple)) ?? triple;

    [LibraryImport(Lib, EntryPoint = "LLVMGetHostCPUName")]
    private static partial nint GetHostCPUNameRaw();

    public static string GetHostCPUName() => TakeMessage(GetHostCPUNameRaw()) ?? "generic";

    [LibraryImport(Lib, EntryPoint = "LLVMGetHostCPUFeatures")]
    private static partial nint GetHostCPUFeaturesRaw();

    public static string GetHostCPUFeatures() => TakeMessage(GetHostCPUFeaturesRaw()) ?? "";

    // The new pass manager (llvm-c/Transforms/PassBuilder.h).
    [LibraryImport(Lib, EntryPoint = "LLVMRunPasses", StringMarshalling = StringMarshalling.Utf8)]
    public static partial LLVMErrorRef RunPasses(LLVMModuleRef module, string passes, LLVMTargetMachineRef machine, LLVMPassBuilderOptionsRef options);

    [LibraryImport(Lib, EntryPoint = "LLVMCreatePassBuilderOptions")]
    public static partial LLVMPassBuilderOptionsRef CreatePassBuilderOptions();

    [LibraryImport(Lib, EntryPoint = "LLVMPassBuilderOptionsSetVerifyEach")]
    public static partial void PassBuilderOptionsSetVerifyEach(LLVMPassBuilderOptionsRef options, int verifyEach);

    [LibraryImport(Lib, EntryPoint = "LLVMDisposePassBuilderOptions")]
    public static partial void DisposePassBuilderOptions(LLVMPassBuilderOptionsRef options);
}
