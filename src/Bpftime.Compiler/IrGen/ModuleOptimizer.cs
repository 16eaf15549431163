using System.Globalization;
using Bpftime.Compiler.Llvm;
using Bpftime.Diagnostics;

namespace Bpftime.Compiler.IrGen;

/// <summary>Checks a generated module with LLVM's verifier and runs the new pass manager's default pipelines.</summary>
public static class ModuleOptimizer
{
    public static void ValidateLevel(int optimizationLevel)
    {
        if (optimizationLevel is < 0 or > 3)
        {
            throw BpfException.Create(DiagnosticCodes.OptimizationFailed,
                $"optimisation level {optimizationLevel} is not one of 0, 1, 2, 3");
        }
    }

    /// <summary>Throws BPF3008 with LLVM's findings when the module is malformed.</summary>
    public static void Verify(LLVMModuleRef module, string what)
    {
        if (!LLVM.VerifyModule(module, out var message))
        {
            throw BpfException.Create(DiagnosticCodes.IrVerificationFailed,
                $"the IR generated for {what} is invalid (a compiler defect; please report it): {message.Trim()}");
        }
    }

    /// <summary>Runs <c>default&lt;On&gt;</c> for the target machine's data layout and cost model.</summary>
    public static void Optimize(LLVMModuleRef module, LLVMTargetMachineRef machine, int optimizationLevel)
    {
        ValidateLevel(optimizationLevel);
        var options = LLVM.CreatePassBuilderOptions();
        try
        {
            var pipeline = "default<O" + optimizationLevel.ToString(CultureInfo.InvariantCulture) + ">";
            var error = LLVM.TakeError(LLVM.RunPasses(module, pipeline, machine, options));
            if (error is not null)
            {
                throw BpfException.Create(DiagnosticCodes.OptimizationFailed, $"the {pipeline} pass pipeline failed: {error}");
            }
        }
        finally
        {
            LLVM.DisposePassBuilderOptions(options);
        }
    }
}
