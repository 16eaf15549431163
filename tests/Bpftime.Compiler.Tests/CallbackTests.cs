using Bpftime.Compiler.Aot;
using Bpftime.Compiler.LlvmJit;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;

namespace Bpftime.Compiler.Tests;

/// <summary>Code addresses (ld_imm64 src 4) called back by a bpf_loop-like helper, on both LLVM engines.</summary>
public sealed class CallbackTests
{
    private const int LoopHelper = 181;

    public static TheoryData<string, int, bool> Cases => new()
    {
        { LlvmJitEngine.EngineName, 0, true },
        { LlvmJitEngine.EngineName, 3, true },
        { LlvmJitEngine.EngineName, 0, false },
        { LlvmJitEngine.EngineName, 3, false },
        { AotEngine.EngineName, 0, true },
        { AotEngine.EngineName, 3, true },
    };

    private static HelperTable Helpers() => new("callbacks", [
        new HelperFunction(LoopHelper, "bpf_loop", HelperPrototype.Unchecked, static (count, callback, context, _, _) =>
        {
            ulong i = 0;
            for (; i < count; i++)
            {
                if (ProgramCallback.Invoke(callback, i, context) != 0)
                {
                    i++;
                    break;
                }
            }
            return i;
        }),
    ]);

    /// <summary>Sums the indexes 0..4 into a u64 on the caller's stack through a callback; r0 = that sum.</summary>
    private static Instruction[] SumProgram(Instruction[] callbackBody) =>
    [
        Code.Mov64(6, 0), Code.StoreDw(10, 6, -8), Code.Mov64(1, 5),
        new(Opcodes.LoadImm64, 2, (byte)LoadImm64Source.CodeAddress, 0, 7), new(0, 0, 0, 0, 0),
        Code.Mov64Reg(3, 10), Code.Add64(3, -8), Code.Mov64(4, 0), Code.Call(LoopHelper),
        Code.LoadDw(0, 10, -8), Code.Exit(),
        .. callbackBody,
    ];

    private static readonly Instruction[] AddIndex =
        [Code.LoadDw(3, 2, 0), Code.Alu64Reg(AluOperation.Add, 3, 1), Code.StoreDw(2, 3, 0), Code.Mov64(0, 0), Code.Exit()];

    private static IBpfEngine EngineNamed(string name) => name == AotEngine.EngineName ? new AotEngine() : new LlvmJitEngine();

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void ACallbackUpdatesItsCallersStack(string engineName, int level, bool verified)
    {
        LlvmRequirement.SkipIfMissing();
        var engine = EngineNamed(engineName);
        Skip.IfNot(engine.IsAvailable(out var reason), reason);
        var image = new ProgramImage("looped", SumProgram(AddIndex), Helpers()) { Verified = verified };
        using var executable = engine.Load(image, new EngineOptions { OptimizationLevel = level });
        Assert.Equal(10UL, executable.Execute(0, 0));
        Assert.Equal(10UL, executable.Execute(0, 0));
    }

    [SkippableTheory]
    [InlineData("llvm-jit", 0)]
    [InlineData("llvm-jit", 3)]
    [InlineData("aot", 0)]
    [InlineData("aot", 3)]
    public void AFaultInsideACheckedCallbackIsRaisedWhenTheProgramReturns(string engineName, int level)
    {
        LlvmRequirement.SkipIfMissing();
        var engine = EngineNamed(engineName);
        Skip.IfNot(engine.IsAvailable(out var reason), reason);
        Instruction[] readsIndexAsPointer = [Code.LoadDw(0, 1, 0), Code.Exit(), Code.Exit(), Code.Exit(), Code.Exit()];
        var image = new ProgramImage("faulty", SumProgram(readsIndexAsPointer), Helpers()) { Verified = false };
        using var executable = engine.Load(image, new EngineOptions { OptimizationLevel = level });
        var error = Assert.Throws<BpfException>(() => executable.Execute(0, 0));
        Assert.Equal(DiagnosticCodes.NullPointerAccess, error.Code);
        Assert.Equal(11, error.Diagnostic.InstructionIndex);
        Assert.False(ProgramCallback.HasPendingFault);
    }

    [SkippableTheory]
    [InlineData("llvm-jit", 0)]
    [InlineData("llvm-jit", 3)]
    [InlineData("aot", 0)]
    [InlineData("aot", 3)]
    public void CheckedCallbacksThatCallBackForeverStopAtTheNestingLimit(string engineName, int level)
    {
        LlvmRequirement.SkipIfMissing();
        var engine = EngineNamed(engineName);
        Skip.IfNot(engine.IsAvailable(out var reason), reason);
        Instruction[] code =
        [
            Code.Mov64(1, 1), new(Opcodes.LoadImm64, 2, (byte)LoadImm64Source.CodeAddress, 0, 4), new(0, 0, 0, 0, 0),
            Code.Mov64(3, 0), Code.Call(LoopHelper), Code.Exit(),
            Code.Mov64(1, 1), new(Opcodes.LoadImm64, 2, (byte)LoadImm64Source.CodeAddress, 0, -2), new(0, 0, 0, 0, 0),
            Code.Mov64(3, 0), Code.Call(LoopHelper), Code.Exit(),
        ];
        var image = new ProgramImage("recursive", code, Helpers()) { Verified = false };
        using var executable = engine.Load(image, new EngineOptions { OptimizationLevel = level });
        var error = Assert.Throws<BpfException>(() => executable.Execute(0, 0));
        Assert.Equal(DiagnosticCodes.JitCallDepthExceeded, error.Code);
        Assert.False(ProgramCallback.HasPendingFault);
    }
}
