using Bpftime.Compiler.Llvm;
using Xunit.Abstractions;

namespace Bpftime.Compiler.Tests;

public sealed class LlvmBindingsTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void LoadsALibllvmOfASupportedVersion()
    {
        LlvmRequirement.SkipIfMissing();
        Assert.NotNull(LlvmLibrary.LoadedPath);
        Assert.InRange(LlvmLibrary.MajorVersion, LlvmLibrary.OldestMajor, LlvmLibrary.NewestMajor);
        output.WriteLine($"loaded {LlvmLibrary.LoadedPath} (LLVM {LlvmLibrary.MajorVersion})");
    }

    [Fact]
    public void TheNotFoundMessageNamesThePackagesAndTheOverride()
    {
        Assert.Contains("apt-get install libllvm15", LlvmLibrary.NotFoundMessage);
        Assert.Contains("libllvm19", LlvmLibrary.NotFoundMessage);
        Assert.Contains(LlvmLibrary.PathVariable, LlvmLibrary.NotFoundMessage);
        Assert.Equal("BPF3001", Bpftime.Diagnostics.DiagnosticCodes.LlvmNotFound);
    }

    [Fact]
    public void ProbesNewestFirst()
    {
        var candidates = LlvmLibrary.Candidates().ToList();
        Assert.True(candidates.IndexOf("libLLVM-19.so.1") < candidates.IndexOf("libLLVM-15.so.1"));
        Assert.Equal(19, LlvmLibrary.ParseMajor("libLLVM.so.19.1"));
        Assert.Equal(15, LlvmLibrary.ParseMajor("libLLVM-15.so.1"));
    }

    [SkippableFact]
    public unsafe void JitsAHandBuiltFunction()
    {
        LlvmRequirement.SkipIfMissing();
        LlvmTargets.EnsureInitialized();
        var tsc = LLVM.OrcCreateNewThreadSafeContext();
        var context = LLVM.OrcThreadSafeContextGetContext(tsc);
        LLVM.ContextSetOpaquePointersIfPresent(context);
        var module = LLVM.ModuleCreateWithNameInContext("smoke", context);
        var i64 = LLVM.Int64TypeInContext(context);
        var type = LLVM.FunctionType(i64, [i64, i64]);
        var function = LLVM.AddFunction(module, "add_twice", type);
        var builder = LLVM.CreateBuilderInContext(context);
        LLVM.PositionBuilderAtEnd(builder, LLVM.AppendBasicBlockInContext(context, function, "entry"));
        var sum = LLVM.BuildAdd(builder, LLVM.GetParam(function, 0), LLVM.GetParam(function, 1), "sum");
        LLVM.BuildRet(builder, LLVM.BuildMul(builder, sum, LLVM.ConstInt(i64, 2, 0), "twice"));
        LLVM.DisposeBuilder(builder);
        Assert.True(LLVM.VerifyModule(module, out var message), message);
        Assert.Contains("define i64 @add_twice", LLVM.PrintModuleToString(module));

        Assert.Null(LLVM.TakeError(LLVM.OrcCreateLLJIT(out var jit, default)));
        try
        {
            var tsm = LLVM.OrcCreateNewThreadSafeModule(module, tsc);
            Assert.Null(LLVM.TakeError(LLVM.OrcLLJITAddLLVMIRModule(jit, LLVM.OrcLLJITGetMainJITDylib(jit), tsm)));
            Assert.Null(LLVM.TakeError(LLVM.OrcLLJITLookup(jit, out var address, "add_twice")));
            var native = (delegate* unmanaged<ulong, ulong, ulong>)address;
            Assert.Equal(30UL, native(5, 10));
        }
        finally
        {
            LLVM.OrcDisposeThreadSafeContext(tsc);
            Assert.Null(LLVM.TakeError(LLVM.OrcDisposeLLJIT(jit)));
        }
    }

    [SkippableFact]
    public void ReportsHostCpuAndTargets()
    {
        LlvmRequirement.SkipIfMissing();
        LlvmTargets.EnsureInitialized();
        Assert.False(string.IsNullOrEmpty(LLVM.GetHostCPUName()));
        Assert.True(LLVM.TryGetTargetFromTriple(LlvmTargets.X86_64Triple, out _, out _));
        Assert.True(LLVM.TryGetTargetFromTriple(LlvmTargets.AArch64Triple, out _, out _));
        Assert.False(LLVM.TryGetTargetFromTriple("nosuch-unknown-none", out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }
}
