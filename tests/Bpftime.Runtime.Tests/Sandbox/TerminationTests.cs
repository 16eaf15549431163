using Bpftime.Compiler.Aot;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.Aot;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Hosting;
using Bpftime.Isa;
using Bpftime.Linking.Native;
using Bpftime.Maps;
using Bpftime.Tests.Maps;
using static Bpftime.Tests.Engines.X64.Bpf;
using static Bpftime.Tests.Sandbox.BudgetPrograms;

namespace Bpftime.Tests.Sandbox;

/// <summary>
/// Unverified programs that never finish must be stopped by the execution budget on every engine,
/// with a clean fault and the host thread back in control; programs that cannot reach exit at all
/// are refused at load.
/// </summary>
public class TerminationTests
{
    /// <summary>bpf_loop(2^23) whose callback runs bpf_loop(2^23) with an empty callback: 2^46 callbacks.</summary>
    private static Instruction[] NestedFullBpfLoops()
    {
        const int MaxLoops = 1 << 23;
        return Program(
            Mov64(1, MaxLoops),                    // 0
            LdImm64(2, 6, src: 4),                 // 1-2: outer callback at 8
            Mov64(3, 0),                           // 3
            Mov64(4, 0),                           // 4
            Call(HelperIds.Loop),                  // 5
            Mov64(0, 1),                           // 6
            Exit(),                                // 7
            Mov64(1, MaxLoops),                    // 8: outer callback: bpf_loop(2^23, inner)
            LdImm64(2, 6, src: 4),                 // 9-10: inner callback at 16
            Mov64(3, 0),                           // 11
            Mov64(4, 0),                           // 12
            Call(HelperIds.Loop),                  // 13
            Mov64(0, 0),                           // 14: continue
            Exit(),                                // 15
            Mov64(0, 0),                           // 16: inner callback: continue
            Exit());
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void AnEndlessLoopIsStoppedAndTheExecutableStaysUsable(string engine)
    {
        using var program = SandboxRun.Load(engine, EndlessLoop(), budget: 100_000);
        var outcomes = SandboxRun.RunRepeatedly(program, 3);
        foreach (var (_, error) in outcomes)
        {
            AssertBudgetFault(error);
        }
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void AnEndlessLoopIsStoppedWithTheDefaultBudget(string engine)
    {
        using var program = SandboxRun.Load(engine, EndlessLoop());
        AssertBudgetFault(SandboxRun.Run(program).Error);
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void TheBudgetIsSetPerLoadAndCountsBackwardJumps(string engine)
    {
        // 1000 iterations take 999 backward jumps.
        using var enough = SandboxRun.Load(engine, CountingLoop(1000), budget: 999);
        using var tooLittle = SandboxRun.Load(engine, CountingLoop(1000), budget: 998);
        Assert.Equal((1000UL, null), SandboxRun.Run(enough));
        AssertBudgetFault(SandboxRun.Run(tooLittle).Error);
        // Each run starts with the whole budget again.
        Assert.Equal((1000UL, null), SandboxRun.Run(enough));
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void VerifiedProgramsRunWithoutTheCounter(string engine)
    {
        using var program = SandboxRun.Load(engine, CountingLoop(1000), budget: 10, verified: true);
        Assert.Equal((1000UL, null), SandboxRun.Run(program));
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void AnEndlessLoopThroughLocalCallsIsStopped(string engine)
    {
        var code = Program(
            CallLocal(2),                          // 0: call f
            Jmp(JumpOperation.Jne, 0, 0, -2),      // 1: again while f returns non-zero
            Exit(),                                // 2
            Mov64(0, 1),                           // 3: f
            Exit());
        using var program = SandboxRun.Load(engine, code, budget: 100_000);
        AssertBudgetFault(SandboxRun.Run(program).Error);
    }

    /// <summary>
    /// Six levels of functions, each calling the next eight times: about 300,000 calls and not one
    /// backward jump, so only counting calls bounds it.
    /// </summary>
    private static Instruction[] CallTree()
    {
        const int Levels = 6;
        const int Fanout = 8;
        var code = new List<Instruction>();
        // Function k starts at k * (Fanout + 2); the last level returns 1.
        for (var level = 0; level < Levels; level++)
        {
            var start = code.Count;
            for (var c = 0; c < Fanout; c++)
            {
                var here = start + c;
                var next = (level + 1) * (Fanout + 2);
                code.Add(CallLocal(next - here - 1));
            }
            code.Add(Mov64(0, 7));
            code.Add(Exit());
        }
        code.Add(Mov64(0, 1));
        code.Add(Exit());
        return [.. code];
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void LocalCallsCountAgainstTheBudget(string engine)
    {
        using var bounded = SandboxRun.Load(engine, CallTree(), budget: 10_000);
        AssertBudgetFault(SandboxRun.Run(bounded).Error);
        using var enough = SandboxRun.Load(engine, CallTree());
        Assert.Equal((7UL, null), SandboxRun.Run(enough));
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void ABpfLoopCallbackThatLoopsForEverIsStopped(string engine)
    {
        var code = Program(
            Mov64(1, 1),                           // 0: one iteration
            LdImm64(2, 6, src: 4),                 // 1-2: callback at 1 + 1 + 6 = 8
            Mov64(3, 0),                           // 3
            Mov64(4, 0),                           // 4
            Call(HelperIds.Loop),                  // 5
            Mov64(0, 1),                           // 6
            Exit(),                                // 7
            EndlessLoop());                        // 8: the callback
        using var program = SandboxRun.Load(engine, code, budget: 100_000);
        var outcomes = SandboxRun.RunRepeatedly(program, 2);
        AssertBudgetFault(outcomes[0].Error);
        AssertBudgetFault(outcomes[1].Error);
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void NestedBpfLoopsShareOneBudget(string engine)
    {
        var code = NestedFullBpfLoops();
        using var program = SandboxRun.Load(engine, code, budget: 50_000);
        var outcomes = SandboxRun.RunRepeatedly(program, 2);
        AssertBudgetFault(outcomes[0].Error);
        AssertBudgetFault(outcomes[1].Error);
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void VerifiedCodeMakesAtMostTheCallbacksOfTwoFullBpfLoopsPerRun(string engine)
    {
        // bpf_loop(2^23) whose callback runs bpf_loop(2^23): loaded as verified (no budget), as if a
        // proof had accepted it; the run still ends after ProgramCallback.MaxCallbacksPerRun callbacks.
        var code = NestedFullBpfLoops();
        using var program = SandboxRun.Load(engine, code, verified: true);
        var outcome = SandboxRun.Run(program);
        var fault = Assert.IsType<BpfException>(outcome.Error);
        Assert.Equal(DiagnosticCodes.ExecutionBudgetExhausted, fault.Code);
        Assert.Contains($"more than {ProgramCallback.MaxCallbacksPerRun} callbacks", fault.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void AMapWrittenBeforeTheFaultStaysUsable(string engine)
    {
        using var map = ArrayMap.Create("counts", 8, 1);
        var code = Program(
            MapPrograms.LoadMap(1, 0),             // 0-1: r1 = &counts
            St(MemorySize.Word, 10, -4, 0),        // 2: key 0
            Mov64Reg(2, 10),                       // 3
            Alu64(AluOperation.Add, 2, -4),        // 4
            Call(HelperIds.MapLookupElem),         // 5
            Jmp(JumpOperation.Jeq, 0, 0, 5),       // 6: to the exit at 12
            Mov64(1, 1),                           // 7
            Atomic(MemorySize.DoubleWord, AtomicOperation.Add, 0, 1, 0), // 8: counts[0]++
            EndlessLoop());                        // 9-12
        using var program = SandboxRun.Load(engine, code, budget: 10_000, maps: [map]);
        var outcomes = SandboxRun.RunRepeatedly(program, 2);
        AssertBudgetFault(outcomes[0].Error);
        AssertBudgetFault(outcomes[1].Error);
        Assert.Equal(2L, System.Runtime.InteropServices.Marshal.ReadInt64(map.Lookup(0u)));
    }

    public static TheoryData<string, string> NoExitPrograms()
    {
        var data = new TheoryData<string, string>();
        foreach (var engine in TestEngines.All)
        {
            foreach (var shape in new[] { "ja -1", "falls off", "exit only in a callee", "exit after an endless loop" })
            {
                data.Add(engine.Name, shape);
            }
        }
        return data;
    }

    private static Instruction[] NoExit(string shape) => shape switch
    {
        "ja -1" => [Ja(-1)],
        "falls off" => [Mov64(0, 1)],
        // main calls f, then jumps back to the call for ever; only f has an exit.
        "exit only in a callee" => [CallLocal(1), Ja(-2), Mov64(0, 1), Exit()],
        // the exit lies after an unconditional backward jump, so nothing reaches it.
        "exit after an endless loop" => [Mov64(0, 0), Alu64(AluOperation.Add, 0, 1), Ja(-2), Exit()],
        _ => throw new ArgumentOutOfRangeException(nameof(shape)),
    };

    [Theory]
    [MemberData(nameof(NoExitPrograms))]
    public void AProgramThatCannotReachExitIsRefusedAtLoad(string engine, string shape)
    {
        var error = Assert.Throws<BpfException>(() => SandboxRun.Load(engine, NoExit(shape)).Dispose());
        Assert.Equal(DiagnosticCodes.NoReachableExit, error.Code);
    }

    [Theory]
    [InlineData("ja -1")]
    [InlineData("falls off")]
    [InlineData("exit only in a callee")]
    [InlineData("exit after an endless loop")]
    public void TheLoadCheckAndTheVerifierRefuseAProgramThatCannotReachExit(string shape)
    {
        var error = Assert.Throws<BpfException>(() => ProgramValidator.EnsureExitReachable(NoExit(shape), "p"));
        Assert.Equal(DiagnosticCodes.NoReachableExit, error.Code);
        // The verifier follows every path, so it refuses these too, pointing at the loop or the end.
        Assert.False(global::Bpftime.Verification.BpfVerifier.Verify(NoExit(shape)).Passed);
    }

    [Fact]
    public void AJumpOutOfTheProgramEndsTheRunAndSoCountsAsAnExit()
    {
        // Taken, it faults (or the engine refuses it at load): the program cannot loop through it.
        ProgramValidator.EnsureExitReachable([Mov64(0, 1), Ja(5)]);
        ProgramValidator.EnsureExitReachable([Jmp(JumpOperation.Jeq, 0, 0, -5), Ja(-2)]);
        Assert.Throws<BpfException>(() => ProgramValidator.EnsureExitReachable([Mov64(0, 1), Ja(-2), Exit()]));
    }

    [Fact]
    public void TheDefaultBudgetIsTensOfMillions()
    {
        Assert.Equal(EngineOptions.DefaultExecutionBudget, EngineOptions.Default.ExecutionBudget);
        Assert.InRange(EngineOptions.DefaultExecutionBudget, 10_000_000, 1_000_000_000);
        Assert.Throws<ArgumentOutOfRangeException>(() => EngineOptions.Default with { ExecutionBudget = 0 });
    }

    [Theory]
    [MemberData(nameof(TestEngines.BytecodeNames), MemberType = typeof(TestEngines))]
    public void BpfLoadOptionsSetTheBudgetOfEveryProgram(string engine)
    {
        // Raw bytecode the verifier refuses (it cannot see the loop end), so it runs checked.
        var bytes = new byte[CountingLoop(1000).Length * 8];
        var code = CountingLoop(1000);
        for (var i = 0; i < code.Length; i++)
        {
            code[i].Write(bytes.AsSpan(i * 8, 8));
        }
        var options = new BpfLoadOptions { Engine = engine, Engines = TestEngines.Registry, ReadEnvironment = false, Verify = false };
        using var enough = BpfObject.Load(bytes, options with { ExecutionBudget = 999 });
        using var tooLittle = BpfObject.Load(bytes, options with { ExecutionBudget = 998 });
        Assert.Equal(1000UL, enough.Programs.Values.Single().Run());
        var fault = Assert.Throws<BpfException>(() => { tooLittle.Programs.Values.Single().Run(); });
        Assert.Equal(DiagnosticCodes.ExecutionBudgetExhausted, fault.Code);
        Assert.Equal(EngineOptions.DefaultExecutionBudget, new BpfLoadOptions().ExecutionBudget);
    }

    [Fact]
    public void TheLinkerRefusesCheckedCodeFromBeforeTheBudget()
    {
        if (!TestEngines.All.Any(e => e.Name == "aot"))
        {
            return; // no libLLVM here to compile the object
        }
        var helpers = StandardHelpers.CreateDefault();
        var compiled = AotCompiler.Compile(new AotCompilation
        {
            Programs = [new AotProgramSource("loop", EndlessLoop())],
            Helpers = helpers,
        });
        var options = new AotLinkOptions { Helpers = helpers };
        using (var module = AotLinker.Link(compiled.Bytes, options))
        {
            Assert.True(module.IsChecked("loop"));
        }
        // The same object as an older compiler would have described it: checked, without the version.
        var bytes = compiled.Bytes.ToArray();
        var marker = System.Text.Encoding.UTF8.GetBytes($"\"checked_abi\":{AotCheckedAbi.Version}");
        var at = bytes.AsSpan().IndexOf(marker);
        Assert.True(at >= 0, "the metadata records the checked ABI");
        bytes[at + marker.Length - 1] = (byte)'0';
        var error = Assert.Throws<BpfException>(() => AotLinker.Link(bytes, options).Dispose());
        Assert.Contains(error.Diagnostics, d => d.Message.Contains("run-state version 0", StringComparison.Ordinal));
    }

    [Fact]
    public void NativeCodeLoadedByBpfObjectSpendsTheLoadsBudget()
    {
        if (!TestEngines.All.Any(e => e.Name == "aot"))
        {
            return; // no libLLVM here to compile the object
        }
        var compiled = AotCompiler.Compile(new AotCompilation
        {
            Programs = [new AotProgramSource("count", CountingLoop(100))],
            Helpers = StandardHelpers.CreateDefault(),
        });
        var options = new BpfLoadOptions { ReadEnvironment = false };
        using var enough = BpfObject.Load(compiled.Bytes.ToArray(), options with { ExecutionBudget = 99 });
        using var tooLittle = BpfObject.Load(compiled.Bytes.ToArray(), options with { ExecutionBudget = 98 });
        Assert.Equal(100UL, enough.Programs["count"].Run());
        var fault = Assert.Throws<BpfException>(() => { tooLittle.Programs["count"].Run(); });
        Assert.Equal(DiagnosticCodes.ExecutionBudgetExhausted, fault.Code);
    }
}
