using System.Runtime.InteropServices;
using Bpftime.Diagnostics;

namespace Bpftime.Compiler.Llvm;

/// <summary>Registers the x86-64 and AArch64 back ends once, and makes target machines for a triple and CPU.</summary>
public static class LlvmTargets
{
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores",
        Justification = "x86_64 is the architecture's name as triples spell it.")]
    public const string X86_64Triple = "x86_64-unknown-linux-gnu";

    public const string AArch64Triple = "aarch64-unknown-linux-gnu";

    /// <summary>
    /// LLVM options set once per process, before the first target machine. On x86-64, innermost loop
    /// headers start on a 64-byte line (log2 6; LLVM's default is 16 bytes): a hot loop that fits in a
    /// line is then fetched as one block wherever its function lands. Measured on the 64-way switch
    /// kernel (a jump-table dispatch of 41 bytes): 1.30-1.37 ms per MiB when the dispatch crossed a
    /// line, 0.95-1.03 ms on a line start, whatever the function's offset; clang's own native code
    /// varied the same way (0.91 or 1.35 ms by offset). The padding runs once per entry into the loop,
    /// not per iteration. (The C API has no target options, hence LLVM's option; a libLLVM without it
    /// ignores it.)
    /// </summary>
    internal static readonly string[] CodeGenerationOptions = ["-x86-experimental-pref-innermost-loop-alignment=6"];

    private static readonly Lock Gate = new();
    private static bool s_initialized;

    public static void EnsureInitialized()
    {
        LlvmLibrary.EnsureLoaded();
        lock (Gate)
        {
            if (s_initialized)
            {
                return;
            }
            if (LlvmLibrary.OptionalExport("LLVMInitializeX86Target") != 0)
            {
                LLVM.InitializeX86TargetInfo();
                LLVM.InitializeX86Target();
                LLVM.InitializeX86TargetMC();
                LLVM.InitializeX86AsmPrinter();
            }
            if (LlvmLibrary.OptionalExport("LLVMInitializeAArch64Target") != 0)
            {
                LLVM.InitializeAArch64TargetInfo();
                LLVM.InitializeAArch64Target();
                LLVM.InitializeAArch64TargetMC();
                LLVM.InitializeAArch64AsmPrinter();
            }
            LLVM.ParseCommandLineOptions(CodeGenerationOptions);
            s_initialized = true;
        }
    }

    /// <summary>The triple of the machine this process runs on, in the form the compiler emits for.</summary>
    public static string HostTriple => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => X86_64Triple,
        Architecture.Arm64 => AArch64Triple,
        _ => LLVM.GetDefaultTargetTriple(),
    };

    /// <summary>
    /// CPU name and feature string for <paramref name="targetCpu"/>: "generic" (or empty) is portable,
    /// "native" is the host's CPU with its features (only when compiling for the host), anything
    /// else is passed to LLVM as a CPU name.
    /// </summary>
    public static (string Cpu, string Features) ResolveCpu(string? targetCpu, string triple)
    {
        if (string.IsNullOrEmpty(targetCpu) || targetCpu == "generic")
        {
            return ("generic", "");
        }
        if (targetCpu == "native")
        {
            if (!string.Equals(triple, HostTriple, StringComparison.Ordinal))
            {
                throw BpfException.Create(DiagnosticCodes.TargetUnavailable,
                    $"target CPU 'native' means this machine ({HostTriple}) and cannot be used when compiling for {triple}; name a CPU or use 'generic'");
            }
            return (LLVM.GetHostCPUName(), LLVM.GetHostCPUFeatures());
        }
        return (targetCpu, "");
    }

    public static LLVMCodeGenOptLevel CodeGenLevel(int optimizationLevel) => optimizationLevel switch
    {
        0 => LLVMCodeGenOptLevel.LLVMCodeGenLevelNone,
        1 => LLVMCodeGenOptLevel.LLVMCodeGenLevelLess,
        2 => LLVMCodeGenOptLevel.LLVMCodeGenLevelDefault,
        _ => LLVMCodeGenOptLevel.LLVMCodeGenLevelAggressive,
    };

    /// <summary>A target machine; the caller disposes it (or hands it to ORC, which then owns it).</summary>
    public static LLVMTargetMachineRef CreateMachine(string triple, string? targetCpu, int optimizationLevel,
        LLVMRelocMode relocation = LLVMRelocMode.LLVMRelocPIC, LLVMCodeModel codeModel = LLVMCodeModel.LLVMCodeModelDefault)
    {
        EnsureInitialized();
        if (!LLVM.TryGetTargetFromTriple(triple, out var target, out var error))
        {
            throw BpfException.Create(DiagnosticCodes.TargetUnavailable,
                $"this libLLVM ({LlvmLibrary.LoadedPath}) cannot generate code for '{triple}': {error}; supported: {X86_64Triple}, {AArch64Triple}");
        }
        var (cpu, features) = ResolveCpu(targetCpu, triple);
        if (cpu != "generic")
        {
            LlvmCpuCheck.EnsureKnown(target, triple, cpu);
        }
        var machine = LLVM.CreateTargetMachine(target, triple, cpu, features, CodeGenLevel(optimizationLevel), relocation, codeModel);
        if (machine.IsNull)
        {
            throw BpfException.Create(DiagnosticCodes.TargetUnavailable, $"LLVM refused a target machine for '{triple}' with CPU '{cpu}'");
        }
        return machine;
    }
}
