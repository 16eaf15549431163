using Bpftime.Compiler.LlvmJit;
using Bpftime.Engines;
using Bpftime.Engines.Interpreter;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Maps;
using Bpftime.Objects;

namespace Bpftime.Compiler.Tests;

/// <summary>bpf_tail_call between programs of the LLVM JIT and of the aot engine, checked and trusted, at O0 and O3.</summary>
public sealed class TailCallTests
{
    public static TheoryData<string, int, bool> Modes
    {
        get
        {
            var data = new TheoryData<string, int, bool>();
            foreach (var engine in new[] { "llvm-jit", "aot" })
            {
                data.Add(engine, 0, false);
                data.Add(engine, 3, false);
                data.Add(engine, 0, true);
                data.Add(engine, 3, true);
            }
            return data;
        }
    }

    private static IBpfEngine EngineNamed(string engine) => engine == "aot" ? new Aot.AotEngine() : new LlvmJitEngine();

    private static IBpfExecutable Load(Instruction[] code, IReadOnlyList<BpfMap> maps, int level, bool verified, string engine = "llvm-jit") =>
        EngineNamed(engine).Load(new ProgramImage("tail", code, StandardHelpers.CreateDefault()) { Maps = maps, Verified = verified },
            new EngineOptions { OptimizationLevel = level });

    /// <summary>tail_call(ctx, map 0, ctx[0]); then r0 = 100.</summary>
    private static readonly Instruction[] Dispatcher =
    [
        Code.Mov64Reg(6, 1), new(0x61, 3, 1, 0, 0), .. Code.LoadImm64(2, 0, (byte)LoadImm64Source.MapByIndex),
        Code.Mov64Reg(1, 6), Code.Call(HelperIds.TailCall), Code.Mov64(0, 100), Code.Exit(),
    ];

    [SkippableTheory]
    [MemberData(nameof(Modes))]
    public void TailCallsContinueInTheSlotsProgram(string engine, int level, bool verified)
    {
        LlvmRequirement.SkipIfMissing();
        using var table = new ProgramArrayMap(new MapSpec("jmp", MapType.ProgArray, 4, 4, 4));
        using var dispatcher = Load(Dispatcher, [table], level, verified, engine);
        using var seven = Load([Code.Mov64(0, 7), Code.Exit()], [], level, verified, engine);
        using var readsContext = Load([new(0x61, 0, 1, 4, 0), Code.Exit()], [], level, verified, engine);
        Assert.Equal(0, table.Set(1, seven));
        Assert.Equal(0, table.Set(2, readsContext));
        var context = new byte[8];
        context[4] = 42;
        context[0] = 1;
        Assert.Equal(7UL, dispatcher.Run(context));
        context[0] = 2;
        Assert.Equal(42UL, dispatcher.Run(context));
        context[0] = 3;
        Assert.Equal(100UL, dispatcher.Run(context));
        context[0] = 9;
        Assert.Equal(100UL, dispatcher.Run(context));
    }

    [SkippableTheory]
    [MemberData(nameof(Modes))]
    public void ChainsStopAfterThirtyThreeTailCalls(string engine, int level, bool verified)
    {
        LlvmRequirement.SkipIfMissing();
        Instruction[] selfCaller =
        [
            Code.Mov64Reg(6, 1), Code.LoadDw(1, 6, 8), Code.Add64(1, 1), Code.StoreDw(6, 1, 8), Code.Mov64Reg(1, 6),
            .. Code.LoadImm64(2, 0, (byte)LoadImm64Source.MapByIndex), Code.Mov64(3, 0), Code.Call(HelperIds.TailCall),
            Code.LoadDw(0, 6, 8), Code.Exit(),
        ];
        using var table = new ProgramArrayMap(new MapSpec("jmp", MapType.ProgArray, 4, 4, 1));
        using var program = Load(selfCaller, [table], level, verified, engine);
        table.Set(0, program);
        var context = new byte[16];
        Assert.Equal((ulong)(TailCalls.MaxChain + 1), program.Run(context));
        Array.Clear(context);
        Assert.Equal((ulong)(TailCalls.MaxChain + 1), program.Run(context));
    }

    [SkippableFact]
    public void TailCallsIntoAnotherEngineFailAndTheCallerGoesOn()
    {
        LlvmRequirement.SkipIfMissing();
        using var table = new ProgramArrayMap(new MapSpec("jmp", MapType.ProgArray, 4, 4, 1));
        using var dispatcher = Load(Dispatcher, [table], 3, verified: true);
        using var foreign = InterpreterEngine.Instance.Load(new ProgramImage("seven", (Instruction[])[Code.Mov64(0, 7), Code.Exit()], StandardHelpers.CreateDefault()), EngineOptions.Default);
        table.Set(0, foreign);
        Assert.Equal(100UL, dispatcher.Run(new byte[8]));
    }
}
