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
