using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Maps;
using Bpftime.Objects;
using Bpftime.Tests.Maps;
using Bpftime.Verification;
using static Bpftime.Tests.Engines.X64.Bpf;

namespace Bpftime.Tests.Sandbox;

/// <summary>
/// Registers and stack a program did not write must never show the host's data (return addresses,
/// pointers into the runtime): on every engine they read as zero. Unverified code zeroes or keeps them
/// itself; verified code relies on the verifier refusing every such read, which the last tests pin down.
/// </summary>
public class LeakTests
{
    /// <summary>Fills one frame with a recognisable pattern, so that a reader run just after sees it if frames are not cleared.</summary>
    private static Instruction[] Scribble()
    {
        var code = new List<Instruction> { LdImm64(1, 0x4141414141414141)[0], LdImm64(1, 0x4141414141414141)[1] };
        for (var offset = -8; offset >= -512; offset -= 8)
        {
            code.Add(Stx(MemorySize.DoubleWord, 10, 1, (short)offset));
        }
        code.Add(Mov64(0, 0));
        code.Add(Exit());
        return [.. code];
    }

    /// <summary>r0 = the OR of every 8-byte slot of the frame.</summary>
    private static Instruction[] ReadWholeFrame()
    {
        var code = new List<Instruction> { Mov64(0, 0) };
        for (var offset = -8; offset >= -512; offset -= 8)
        {
            code.Add(Ldx(MemorySize.DoubleWord, 1, 10, (short)offset));
            code.Add(Alu64Reg(AluOperation.Or, 0, 1));
        }
        code.Add(Exit());
        return [.. code];
    }

    private static ulong RunAfterScribble(string engine, Instruction[] reader, bool verified = false)
    {
        using var scribble = SandboxRun.Load(engine, Scribble(), verified: verified);
        using var program = SandboxRun.Load(engine, reader, verified: verified);
        // Same thread, same depth: the reader's frames lie where the scribbler's were.
        ulong result = 0;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                scribble.Execute(0, 0);
                result = program.Execute(0, 0);
            }
            catch (Exception e)
            {
                error = e;
            }
        })
        { IsBackground = true };
        thread.Start();
        Assert.True(thread.Join(SandboxRun.WallClockGuard), "the run did not finish");
        Assert.Null(error);
        return result;
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void AnUninitialisedR0ReadsZero(string engine)
    {
        foreach (var verified in new[] { false, true })
        {
            Assert.Equal(0UL, RunAfterScribble(engine, [Exit()], verified));
        }
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void RegistersTheHostSetNoneOfReadZero(string engine)
    {
        // r0 | r3 | r4 | ... | r9 at entry (r1 and r2 are the context and its length, here 0).
        var code = new List<Instruction>();
        for (var r = 3; r <= 9; r++)
        {
            code.Add(Alu64Reg(AluOperation.Or, 0, r));
        }
        code.Add(Exit());
        foreach (var verified in new[] { false, true })
        {
            Assert.Equal(0UL, RunAfterScribble(engine, [.. code], verified));
        }
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void AnUninitialisedStackReadsZero(string engine)
    {
        Assert.Equal(0UL, RunAfterScribble(engine, ReadWholeFrame()));
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void EachLocalCallGetsAZeroedFrame(string engine)
    {
        // main calls a scribbler, then a reader: the reader's frame is where the scribbler's was.
        var scribble = Scribble();
        var read = ReadWholeFrame();
        var code = Program(
            CallLocal(2),                               // 0: call scribble at 3
            CallLocal(1 + scribble.Length),             // 1: call read at 3 + scribble.Length
            Exit(),                                     // 2
            scribble,
            read);
        using var program = SandboxRun.Load(engine, code);
        Assert.Equal((0UL, (Exception?)null), SandboxRun.Run(program));
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void ACallbackStartsWithZeroRegistersAndAZeroedFrame(string engine)
    {
        // main scribbles its frame and r6-r9, then bpf_loop(1, callback, 0, 0); main returns 0.
        var scribble = Scribble();
        var main = Program(
            scribble[..^2],
            Mov64Reg(6, 1),
            Mov64Reg(7, 1),
            Mov64Reg(8, 1),
            Mov64Reg(9, 1),
            Mov64(1, 1),                                 // k
            LdImm64(2, 6, src: 4),                       // k+1: the callback at k+8
            Mov64(3, 0),
            Mov64(4, 0),
            Call(HelperIds.Loop),
            Mov64(0, 0),
            Exit());
        using var program = SandboxRun.Load(engine, Program(main, CallbackThatFaultsOnALeak()));
        Assert.Equal((0UL, (Exception?)null), SandboxRun.Run(program));
    }

    /// <summary>
    /// ORs r0, r6-r9 and every slot of its frame; anything non-zero (a leak) makes it read address 8,
    /// which faults on every checked engine, so the leak shows as an exception.
    /// </summary>
    private static Instruction[] CallbackThatFaultsOnALeak()
    {
        var code = new List<Instruction>();
        for (var r = 6; r <= 9; r++)
        {
            code.Add(Alu64Reg(AluOperation.Or, 0, r));
        }
        for (var offset = -8; offset >= -512; offset -= 8)
        {
            code.Add(Ldx(MemorySize.DoubleWord, 1, 10, (short)offset));
            code.Add(Alu64Reg(AluOperation.Or, 0, 1));
        }
        code.Add(Jmp(JumpOperation.Jeq, 0, 0, 2));
        code.Add(Mov64(1, 8));
        code.Add(Ldx(MemorySize.DoubleWord, 0, 1, 0));
        code.Add(Mov64(0, 1));                           // stop after one iteration
        code.Add(Exit());
        return [.. code];
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void ScratchRegistersAfterAHelperCallHoldNoHostValues(string engine)
    {
        // After a helper, r1-r5 are the program's old values or zero, never what the helper left there.
        var code = Program(
            Call(HelperIds.GetSmpProcessorId),
            Mov64(0, 0),
            Alu64Reg(AluOperation.Or, 0, 1),
            Alu64Reg(AluOperation.Or, 0, 2),
            Alu64Reg(AluOperation.Or, 0, 3),
            Alu64Reg(AluOperation.Or, 0, 4),
            Alu64Reg(AluOperation.Or, 0, 5),
            Exit());
        using var program = SandboxRun.Load(engine, code);
        Assert.Equal((0UL, (Exception?)null), SandboxRun.Run(program));
    }

    [Theory]
    [MemberData(nameof(TestEngines.TailCallNames), MemberType = typeof(TestEngines))]
    public void CheckedCodeEnteredByATailCallFromVerifiedCodeSeesNoHostDataAndKeepsItsBudget(string engine)
    {
        // The verified caller scribbles its frame, then tail calls slot 0 with the context.
        var scribble = new List<Instruction> { Mov64Reg(6, 1) };
        scribble.AddRange(LdImm64(7, 0x4141414141414141));
        for (var offset = -8; offset >= -512; offset -= 8)
        {
            scribble.Add(Stx(MemorySize.DoubleWord, 10, 7, (short)offset));
        }
        var caller = Program(scribble.ToArray(), Mov64Reg(1, 6), MapPrograms.LoadMap(2, 0), Mov64(3, 0), Call(HelperIds.TailCall), Mov64(0, 100), Exit());
        // The checked target faults on any leak in r3-r5 or its frame, then counts to 10 with a loop.
        var target = new List<Instruction> { Mov64(0, 0), Alu64Reg(AluOperation.Or, 0, 3), Alu64Reg(AluOperation.Or, 0, 4), Alu64Reg(AluOperation.Or, 0, 5) };
        for (var offset = -8; offset >= -512; offset -= 8)
        {
            target.Add(Ldx(MemorySize.DoubleWord, 1, 10, (short)offset));
            target.Add(Alu64Reg(AluOperation.Or, 0, 1));
        }
        target.AddRange([
            Jmp(JumpOperation.Jeq, 0, 0, 2),
            Mov64(1, 8),
            Ldx(MemorySize.DoubleWord, 0, 1, 0),
            Mov64(0, 0),
            Alu64(AluOperation.Add, 0, 1),
            Jmp(JumpOperation.Jlt, 0, 10, -2),
            Exit()]);
        using var table = new ProgramArrayMap(new MapSpec("jmp", MapType.ProgArray, 4, 4, 1));
        using var verified = TestEngines.Load(engine, caller, [table], verified: true);
        using var checkedTarget = TestEngines.Load(engine, [.. target], []);
        Assert.Equal(0, table.Set(0, checkedTarget));
        Assert.Equal(10UL, verified.Run(new byte[8]));
    }

    [Fact]
    public void TheVerifierRefusesEveryUninitialisedReadThatVerifiedCodeDoesNotClear()
    {
        // Verified code skips zeroing the stack: that is sound only because these never pass.
        Instruction[][] programs =
        [
            [Exit()],
            [Ldx(MemorySize.DoubleWord, 0, 10, -8), Exit()],
            [Ldx(MemorySize.Byte, 0, 10, -512), Exit()],
            [St(MemorySize.Word, 10, -8, 1), Ldx(MemorySize.DoubleWord, 0, 10, -8), Exit()],
            [Mov64Reg(0, 6), Exit()],
            [Call(HelperIds.GetSmpProcessorId), Mov64Reg(0, 1), Exit()],
            [CallLocal(1), Exit(), Ldx(MemorySize.DoubleWord, 0, 10, -8), Exit()],
        ];
        foreach (var code in programs)
        {
            var result = BpfVerifier.Verify(code);
            Assert.False(result.Passed, $"the verifier accepted {string.Join("; ", code.Select(i => i.ToString()))}");
            Assert.All(result.Errors, e => Assert.StartsWith("BPF2", e.Code));
        }
    }
}
