using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Tests.Maps;
using static Bpftime.Tests.Engines.X64.Bpf;
using static Bpftime.Tests.Sandbox.BudgetPrograms;

namespace Bpftime.Tests.Sandbox;

/// <summary>
/// Verified programs whose termination the verifier could not prove (memory-safe, loops unbounded):
/// every engine runs them without memory checks but counts back-edges, local calls and callbacks
/// against the execution budget, so a loop that never ends still stops with BPF4016.
/// </summary>
public class UnprovenTerminationTests
{
    /// <summary>Loads <paramref name="code"/> as the verifier would mark a memory-safe program whose loops it could not bound.</summary>
    private static IBpfExecutable LoadUnproven(string engine, Instruction[] code, long? budget = null, bool terminationProven = false)
    {
        var options = budget is { } b ? EngineOptions.Default with { ExecutionBudget = b } : EngineOptions.Default;
        var image = new ProgramImage("unproven", code, StandardHelpers.CreateDefault()) { Verified = true, TerminationProven = terminationProven };
        return TestEngines.Get(engine).Load(image, options);
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void AnEndlessLoopVerifiedWithoutATerminationProofIsStopped(string engine)
    {
        using var program = LoadUnproven(engine, EndlessLoop(), budget: 100_000);
        var outcomes = SandboxRun.RunRepeatedly(program, 2);
        AssertBudgetFault(outcomes[0].Error);
        AssertBudgetFault(outcomes[1].Error);
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void AnEndlessLoopVerifiedWithoutATerminationProofStopsWithTheDefaultBudget(string engine)
    {
        using var program = LoadUnproven(engine, EndlessLoop());
        AssertBudgetFault(SandboxRun.Run(program).Error);
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void UnprovenCodeCountsEveryBackwardJumpAsCheckedCodeDoes(string engine)
    {
        // 1000 iterations take 999 backward jumps.
        using var enough = LoadUnproven(engine, CountingLoop(1000), budget: 999);
        using var tooLittle = LoadUnproven(engine, CountingLoop(1000), budget: 998);
        Assert.Equal((1000UL, null), SandboxRun.Run(enough));
        AssertBudgetFault(SandboxRun.Run(tooLittle).Error);
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void ProvenCodeCarriesNoCounter(string engine)
    {
        // The same loop with a budget of 10: only code that counts would stop.
        using var program = LoadUnproven(engine, CountingLoop(1000), budget: 10, terminationProven: true);
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
        using var program = LoadUnproven(engine, code, budget: 100_000);
        AssertBudgetFault(SandboxRun.Run(program).Error);
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void AnEndlessLoopInsideACallbackIsStopped(string engine)
    {
        var code = Program(
            Mov64(1, 1),                           // 0: one iteration
            LdImm64(2, 6, src: 4),                 // 1-2: callback at 8
            Mov64(3, 0),                           // 3
            Mov64(4, 0),                           // 4
            Call(HelperIds.Loop),                  // 5
            Mov64(0, 1),                           // 6
            Exit(),                                // 7
            EndlessLoop());                        // 8: the callback
        using var program = LoadUnproven(engine, code, budget: 100_000);
        var outcomes = SandboxRun.RunRepeatedly(program, 2);
        AssertBudgetFault(outcomes[0].Error);
        AssertBudgetFault(outcomes[1].Error);
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void CallbacksSpendTheBudgetOfTheRunThatStartedThem(string engine)
    {
        // bpf_loop(1000) of a callback that loops 10 times: 1000 invocations and 9,000 back-edges,
        // far below 2^24 callbacks. Each callback must draw from the run's budget, not start afresh.
        var code = Program(
            Mov64(1, 1000),                        // 0
            LdImm64(2, 6, src: 4),                 // 1-2: callback at 8
            Mov64(3, 0),                           // 3
            Mov64(4, 0),                           // 4
            Call(HelperIds.Loop),                  // 5
            Mov64(0, 1),                           // 6
            Exit(),                                // 7
            Mov64(0, 0),                           // 8: callback: count to 10, then continue
            Alu64(AluOperation.Add, 0, 1),         // 9
            Jmp(JumpOperation.Jlt, 0, 10, -2),     // 10
            Mov64(0, 0),                           // 11
            Exit());                               // 12
        using var enough = LoadUnproven(engine, code, budget: 10_000);
        using var tooLittle = LoadUnproven(engine, code, budget: 5_000);
        Assert.Equal((1UL, null), SandboxRun.Run(enough));
        AssertBudgetFault(SandboxRun.Run(tooLittle).Error);
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public unsafe void UnprovenCodeKeepsItsMemoryUnchecked(string engine)
    {
        // A read of host memory no region lists: checked code faults; verified code (proven or not)
        // was proved safe, so the engine performs it. Counting must not turn the checks back on.
        var cell = (long*)System.Runtime.InteropServices.NativeMemory.Alloc(8);
        try
        {
            *cell = 0x5eed;
            var code = Program(
                LdImm64(1, (long)cell),
                Ldx(MemorySize.DoubleWord, 0, 1, 0),
                Mov64(2, 0),
                Alu64(AluOperation.Add, 2, 1),
                Jmp(JumpOperation.Jlt, 2, 3, -2),
                Exit());
            using var unproven = LoadUnproven(engine, code, budget: 100);
            Assert.Equal((0x5eedUL, null), SandboxRun.Run(unproven));
            if (engine != "aot")
            {
                using var @checked = SandboxRun.Load(engine, code, budget: 100);
                Assert.IsType<BpfException>(SandboxRun.Run(@checked).Error);
            }
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.Free(cell);
        }
    }
}
