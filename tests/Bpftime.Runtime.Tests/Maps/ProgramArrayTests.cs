using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Maps;
using Bpftime.Objects;
using static Bpftime.Tests.Engines.X64.Bpf;

namespace Bpftime.Tests.Maps;

public class ProgramArrayTests
{
    /// <summary>tail_call(ctx, map 0, ctx[0]); then r0 = 100.</summary>
    private static Instruction[] Dispatcher() => Program(
        Mov64Reg(6, 1),
        Ldx(MemorySize.Word, 3, 1, 0),
        MapPrograms.LoadMap(2, 0),
        Mov64Reg(1, 6),
        Call(HelperIds.TailCall),
        Mov64(0, 100),
        Exit());

    /// <summary>Adds 1 to the u64 at ctx[8], tail calls slot 0, and returns the count when the call fails.</summary>
    private static Instruction[] SelfCaller() => Program(
        Mov64Reg(6, 1),
        Ldx(MemorySize.DoubleWord, 1, 6, 8),
        Alu64(AluOperation.Add, 1, 1),
        Stx(MemorySize.DoubleWord, 6, 1, 8),
        Mov64Reg(1, 6),
        MapPrograms.LoadMap(2, 0),
        Mov64(3, 0),
        Call(HelperIds.TailCall),
        Ldx(MemorySize.DoubleWord, 0, 6, 8),
        Exit());

    [Theory]
    [MemberData(nameof(TestEngines.TailCallNames), MemberType = typeof(TestEngines))]
    public void TailCallsContinueInTheSlotsProgram(string engine)
    {
        using var table = new ProgramArrayMap(new MapSpec("jmp", MapType.ProgArray, 4, 4, 4));
        using var dispatcher = TestEngines.Load(engine, Dispatcher(), [table]);
        using var seven = TestEngines.Load(engine, Program(Mov64(0, 7), Exit()), []);
        using var readsContext = TestEngines.Load(engine, Program(Ldx(MemorySize.Word, 0, 1, 4), Exit()), []);
        Assert.Equal(0, table.Set(1, seven));
        Assert.Equal(0, table.Set(2, readsContext));
        var context = new byte[8];
        context[4] = 42;
        context[0] = 1;
        Assert.Equal(7UL, dispatcher.Run(context));
        context[0] = 2;
        Assert.Equal(42UL, dispatcher.Run(context)); // the target sees the same context
        context[0] = 3;
        Assert.Equal(100UL, dispatcher.Run(context)); // empty slot: the caller goes on
        context[0] = 9;
        Assert.Equal(100UL, dispatcher.Run(context)); // out of range
        Assert.Equal(-Errno.E2BIG, table.Set(4, seven));
    }

    [Theory]
    [MemberData(nameof(TestEngines.TailCallNames), MemberType = typeof(TestEngines))]
    public void ChainsStopAfterThirtyThreeTailCalls(string engine)
    {
        using var table = new ProgramArrayMap(new MapSpec("jmp", MapType.ProgArray, 4, 4, 1));
        using var program = TestEngines.Load(engine, SelfCaller(), [table]);
        table.Set(0, program);
        var context = new byte[16];
        Assert.Equal((ulong)(TailCalls.MaxChain + 1), program.Run(context));
        // A second run starts a new chain.
        Array.Clear(context);
        Assert.Equal((ulong)(TailCalls.MaxChain + 1), program.Run(context));
    }

    [Theory]
    [MemberData(nameof(TestEngines.TailCallNames), MemberType = typeof(TestEngines))]
    public void TailCallsToAnotherEngineFail(string engine)
    {
        var other = TestEngines.All.FirstOrDefault(e => e.Name != engine);
        if (other is null)
        {
            return;
        }
        using var table = new ProgramArrayMap(new MapSpec("jmp", MapType.ProgArray, 4, 4, 1));
        using var dispatcher = TestEngines.Load(engine, Dispatcher(), [table]);
        using var foreign = TestEngines.Load(other.Name, Program(Mov64(0, 7), Exit()), []);
        table.Set(0, foreign);
        Assert.Equal(100UL, dispatcher.Run(new byte[8]));
    }
}
