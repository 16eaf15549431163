using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.X64;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Maps;
using static Bpftime.Tests.Engines.X64.Bpf;

namespace Bpftime.Tests.Engines.X64;

/// <summary>Faults of unverified programs, helpers that fail, callbacks, tail calls and maps on the jit.</summary>
public sealed class JitRuntimeTests
{
    private static IBpfExecutable Load(Instruction[] code, bool verified, HelperTable? helpers = null, params BpfMap[] maps) =>
        X64JitEngine.Instance.Load(new ProgramImage("rt", code, helpers ?? new HelperTable("none")) { Verified = verified, Maps = maps, Origin = "rt.o" }, EngineOptions.Default);

    private static BpfException Fault(Instruction[] code, byte[]? memory = null, HelperTable? helpers = null, params BpfMap[] maps)
    {
        using var executable = Load(code, verified: false, helpers, maps);
        return Assert.Throws<BpfException>(() => executable.Run(memory ?? []));
    }

    [Fact]
    public void MapValuesAreReachableAndReadOnlyOnesRefuseWrites()
    {
        using var map = ArrayMap.Create("values", 16, 1);
        using var constants = ArrayMap.Create("rodata", 16, 1, readOnlyForPrograms: true);
        constants.GetValue(0)[3] = 42;
        var code = Program(LdImm64(1, 0, src: 6),
            St(MemorySize.Word, 1, 4, 7), LdImm64(2, 1, src: 6), Ldx(MemorySize.Byte, 0, 2, 3), Ldx(MemorySize.Word, 3, 1, 4), Alu64Reg(AluOperation.Add, 0, 3), Exit());
        foreach (var verified in new[] { true, false })
        {
            using var executable = Load(code, verified, null, map, constants);
            Assert.Equal(49ul, executable.Run([]));
        }
        var write = Program(LdImm64(1, 0, src: 6), St(MemorySize.Byte, 1, 15, 1), St(MemorySize.Byte, 1, 16, 1), Exit());
        var fault = Fault(write, maps: [map]);
        Assert.Equal(DiagnosticCodes.UnknownMemoryAccess, fault.Code);
        Assert.Equal(3, fault.Diagnostic.InstructionIndex);
        Assert.Equal("rt.o", fault.Diagnostic.File);
        fault = Fault(Program(LdImm64(1, 0, src: 6), St(MemorySize.Byte, 1, 0, 1), Exit()), maps: [constants]);
        Assert.Equal(DiagnosticCodes.WriteToReadOnlyMemory, fault.Code);
        Assert.Equal(2, fault.Diagnostic.InstructionIndex);
    }

    [Fact]
    public void FixedValueRegionsAreTestedInlineOnlyWhileTheirMapsLive()
    {
        var map = ArrayMap.Create("values", 16, 1);
        using var constants = ArrayMap.Create("rodata", 16, 1, readOnlyForPrograms: true);
        // Both ends of the value, a read of the read-only one, then the first byte past each.
        var code = Program(LdImm64(1, 0, src: 6), St(MemorySize.DoubleWord, 1, 8, 5), Ldx(MemorySize.Byte, 0, 1, 0),
            LdImm64(2, 1, src: 6), Ldx(MemorySize.DoubleWord, 3, 2, 8), Alu64Reg(AluOperation.Add, 0, 3),
            Ldx(MemorySize.DoubleWord, 3, 1, 8), Alu64Reg(AluOperation.Add, 0, 3), Exit());
        using var executable = Load(code, verified: false, null, map, constants);
        Assert.Equal(5ul, executable.Run([]));
        var past = Fault(Program(LdImm64(2, 1, src: 6), Ldx(MemorySize.Word, 0, 2, 13), Exit()), maps: [map, constants]);
        Assert.Equal(DiagnosticCodes.MapValueAccessOutOfBounds, past.Code);
        Assert.Equal(2, past.Diagnostic.InstructionIndex);
        // Once the map is gone its old value block is no longer a valid target.
        map.Dispose();
        var gone = Assert.Throws<BpfException>(() => executable.Run([]));
        Assert.Equal(DiagnosticCodes.UnknownMemoryAccess, gone.Code);
        Assert.Equal(2, gone.Diagnostic.InstructionIndex);
    }

    [Fact]
    public void StackAccessesOutsideTheLiveFramesFault()
    {
        var below = Fault(Program(Mov64Reg(1, 10), Alu64(AluOperation.Sub, 1, 520), Ldx(MemorySize.DoubleWord, 0, 1, 0), Exit()));
        Assert.Equal(DiagnosticCodes.StackAccessOutOfBounds, below.Code);
        Assert.Equal(2, below.Diagnostic.InstructionIndex);
        var above = Fault(Program(Ldx(MemorySize.DoubleWord, 0, 10, 0), Exit()));
        Assert.Equal(0, above.Diagnostic.InstructionIndex);
        // A callee may read its caller's frame through a pointer.
        var code = Program(St(MemorySize.DoubleWord, 10, -8, 77), Mov64Reg(1, 10), CallLocal(1), Exit(), Ldx(MemorySize.DoubleWord, 0, 1, -8), Exit());
        using var executable = Load(code, verified: false);
        Assert.Equal(77ul, executable.Run([]));
    }

    [Fact]
    public void MisalignedAtomicsFaultWhenChecked()
    {
        var code = Program(Mov64(2, 1), Atomic(MemorySize.DoubleWord, AtomicOperation.Add, 1, 2, 4), Ldx(MemorySize.DoubleWord, 0, 1, 4), Exit());
        var fault = Fault(code, new byte[16]);
        Assert.Equal(DiagnosticCodes.JitMisalignedAtomic, fault.Code);
        Assert.Equal(1, fault.Diagnostic.InstructionIndex);
    }

    [Fact]
    public void AFailingHelperBecomesADiagnostic()
    {
        var helpers = new HelperTable("t", [
            new HelperFunction(7, "explodes", HelperPrototype.Unchecked, (_, _, _, _, _) => throw new InvalidOperationException("boom")),
            new HelperFunction(8, "refuses", HelperPrototype.Unchecked, (_, _, _, _, _) => throw BpfException.Create("BPF4201", "no such key")),
        ]);
        foreach (var verified in new[] { true, false })
        {
            using var executable = Load(Program(Mov64(0, 1), Mov64(6, 3), Call(7), Mov64(0, 2), Exit()), verified, helpers);
            var fault = Assert.Throws<BpfException>(() => executable.Run([]));
            Assert.Equal(DiagnosticCodes.HelperFailed, fault.Code);
            Assert.Equal(2, fault.Diagnostic.InstructionIndex);
            Assert.Contains("boom", fault.Message);
            using var refusing = Load(Program(Mov64(2, 8), CallRegister(2), Exit()), verified, helpers);
            Assert.Equal("BPF4201", Assert.Throws<BpfException>(() => refusing.Run([])).Code);
        }
    }

    [Fact]
    public void CallbacksRunProgramFunctionsForHelpers()
    {
        // A bpf_loop-like helper: calls the callback r1 times with (index, r3) and sums the results.
        var loop = new HelperFunction(181, "loop", HelperPrototype.Unchecked, (count, callback, context, _, _) =>
        {
            ulong sum = 0;
            for (ulong i = 0; i < count; i++)
            {
                sum += ProgramCallback.Invoke(callback, i, context);
            }
            return sum;
        });
        var helpers = new HelperTable("t", [loop]);
        var code = Program(
            Mov64(1, 10), LdImm64(2, 4, src: 4), Mov64(3, 100), Call(181), Exit(),
            // callback(i, ctx): uses its own stack, returns i * ctx
            St(MemorySize.DoubleWord, 10, -8, 0), Alu64Reg(AluOperation.Mul, 1, 2), Stx(MemorySize.DoubleWord, 10, 1, -8), Ldx(MemorySize.DoubleWord, 0, 10, -8), Exit());
        foreach (var verified in new[] { true, false })
        {
            using var executable = Load(code, verified, helpers);
            Assert.Equal(4500ul, executable.Run([]));
        }
        // A fault inside the callback surfaces from the outer run.
        var faulty = Program(Mov64(1, 2), LdImm64(2, 4, src: 4), Mov64(3, 0), Call(181), Exit(), Ldx(MemorySize.DoubleWord, 0, 3, 0), Exit());
        var fault = Fault(faulty, helpers: helpers);
        Assert.Equal(DiagnosticCodes.NullPointerAccess, fault.Code);
        Assert.Equal(6, fault.Diagnostic.InstructionIndex);
    }

    [Fact]
    public void TailCallsContinueInTheTargetWithTheContext()
    {
        X64JitExecutable? next = null;
        var tailCall = new HelperFunction(HelperIds.TailCall, "tail_call", HelperPrototype.Unchecked,
            (_, _, _, _, _) => next is not null && X64JitExecutable.TryTailCall(next) ? 0UL : 1UL);
        var helpers = new HelperTable("t", [tailCall]);
        // The target reads the context's first byte and adds 1000.
        using var target = (X64JitExecutable)Load(Program(Ldx(MemorySize.Byte, 0, 1, 0), Alu64(AluOperation.Add, 0, 1000), Exit()), verified: false, helpers);
        // The caller makes a local call, tail-calls from inside it, and would return 5 if the tail call failed.
        using var caller = Load(Program(CallLocal(2), Mov64(0, 5), Exit(), Mov64(6, 1), Call(HelperIds.TailCall), Mov64(0, 6), Exit()), verified: true, helpers);
        Assert.Equal(5ul, caller.Run([9]));
        next = target;
        Assert.Equal(1009ul, caller.Run([9]));
        // A program that tail-calls itself stops after the limit and then carries on.
        X64JitExecutable? self = null;
        var selfCall = new HelperFunction(HelperIds.TailCall, "tail_call", HelperPrototype.Unchecked,
            (_, _, _, _, _) => X64JitExecutable.TryTailCall(self!) ? 0UL : 1UL);
        using var counter = (X64JitExecutable)Load(Program(
            Mov64Reg(7, 1), Ldx(MemorySize.Word, 6, 7, 0), Alu64(AluOperation.Add, 6, 1), Stx(MemorySize.Word, 7, 6, 0),
            Call(HelperIds.TailCall), Ldx(MemorySize.Word, 0, 7, 0), Exit()), verified: false, new HelperTable("s", [selfCall]));
        self = counter;
        var memory = new byte[4];
        Assert.Equal((ulong)TailCalls.MaxChain + 1, counter.Run(memory));
    }

    [Fact]
    public void TailCallsThroughAProgramArray()
    {
        using var programs = new ProgramArrayMap(new Bpftime.Objects.MapSpec("progs", Bpftime.Objects.MapType.ProgArray, 4, 4, 4));
        var helpers = new HelperTable("t", [TailCallHelpers.TailCall]);
        using var target = Load(Program(Ldx(MemorySize.Byte, 0, 1, 0), Alu64(AluOperation.Add, 0, 1000), Exit()), verified: false, helpers);
        // tail_call(ctx, progs, r6); on failure r0 holds the negative errno and the program returns it plus 1.
        var caller = Program(Mov64(6, 0), LdImm64(2, 0, src: 5), Mov64Reg(3, 6), Call(HelperIds.TailCall), Alu64(AluOperation.Add, 0, 1), Exit());
        using var executable = Load(caller, verified: true, helpers, programs);
        Assert.Equal(unchecked((ulong)(-Errno.ENOENT + 1)), executable.Run([7]));
        programs.Set(0, target);
        Assert.Equal(1007ul, executable.Run([7]));
    }

    [Fact]
    public void RefusesWhatItCannotRun()
    {
        void Refused(string code, Instruction[] program, params BpfMap[] maps) =>
            Assert.Equal(code, Assert.Throws<BpfException>(() => Load(program, verified: true, null, maps)).Code);

        Refused(DiagnosticCodes.JitProgramSize, []);
        Refused(DiagnosticCodes.JitInvalidRegister, Program(Mov64(10, 1), Exit()));
        Refused(DiagnosticCodes.JitInvalidRegister, Program(new Instruction(0xb7, 11, 0, 0, 1), Exit()));
        Refused(DiagnosticCodes.JitInvalidJumpTarget, Program(Ja(5), Exit()));
        Refused(DiagnosticCodes.JitInvalidJumpTarget, Program(Ja(1), LdImm64(0, 1), Exit()));
        Refused(DiagnosticCodes.JitUnknownHelper, Program(Call(99), Exit()));
        Refused(DiagnosticCodes.JitUnsupportedLoadImm64, Program(LdImm64(0, 0, src: 3), Exit()));
        Refused(DiagnosticCodes.JitUnsupportedLoadImm64, Program(LdImm64(0, 2, src: 5), Exit()));
        Refused(DiagnosticCodes.JitUnsupportedInstruction, Program(new Instruction(0xff, 0, 0, 0, 0), Exit()));
        Refused(DiagnosticCodes.JitUnsupportedInstruction, Program(Atomic(MemorySize.Byte, AtomicOperation.Add, 10, 1, -8), Exit()));
        Refused(DiagnosticCodes.JitUnsupportedInstruction, Program(Atomic(MemorySize.DoubleWord, (AtomicOperation)0x33, 10, 1, -8), Exit()));
        Refused(DiagnosticCodes.JitUnsupportedInstruction, Program(Alu64Reg(AluOperation.Div, 1, 2, 2), Exit()));
        Assert.Equal(DiagnosticCodes.InvalidStackSize, Assert.Throws<BpfException>(() =>
            X64JitEngine.Instance.Load(new ProgramImage("big", Program(Exit()), new HelperTable("none")) { StackSize = 1 << 20 }, EngineOptions.Default)).Code);
        // Code that can only run off the end never loads; code that may also exit faults when it runs off.
        var cannotExit = Assert.Throws<BpfException>(() => JitEngineTests.Run(Program(Mov64(0, 1)), verified: false));
        Assert.Equal(DiagnosticCodes.NoReachableExit, cannotExit.Code);
        var fellOff = Assert.Throws<BpfException>(() => JitEngineTests.Run(Program(Jmp(JumpOperation.Jeq, 1, 0, 1), Exit(), Mov64(0, 1), Mov64(0, 2)), verified: false));
        Assert.Equal(DiagnosticCodes.JitFellOffEnd, fellOff.Code);
    }

    [Fact]
    public void RunsOnManyThreadsAtOnce()
    {
        var code = Program(Ldx(MemorySize.DoubleWord, 0, 1, 0), Mov64(2, 0), Alu64(AluOperation.Add, 2, 1), Jmp(JumpOperation.Jlt, 2, 1000, -2), Alu64Reg(AluOperation.Add, 0, 2), Exit());
        using var executable = Load(code, verified: false);
        Parallel.For(0, 64, i =>
        {
            var memory = BitConverter.GetBytes((ulong)i);
            Assert.Equal((ulong)i + 1000, executable.Run(memory));
        });
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void RunsAllocateNothing(bool verified)
    {
        using var map = ArrayMap.Create("m", 8, 1);
        var helpers = new HelperTable("t", [new HelperFunction(1, "id", HelperPrototype.Unchecked, (a, _, _, _, _) => a)]);
        var code = Program(
            Mov64Reg(6, 1), LdImm64(7, 0, src: 6), Ldx(MemorySize.DoubleWord, 0, 7, 0), Alu64(AluOperation.Add, 0, 1),
            Stx(MemorySize.DoubleWord, 7, 0, 0), Ldx(MemorySize.Byte, 2, 6, 0), Mov64Reg(1, 0), Call(1), Exit());
        using var executable = Load(code, verified, helpers, map);
        var memory = new byte[8];
        executable.Run(memory);
        var runs = 1UL;
        // Up to five rounds: the runtime may allocate once on this thread while methods change tier;
        // an allocation of the runs themselves would show in every round.
        var allocated = new List<long>();
        for (var round = 0; round < 5 && (allocated.Count == 0 || allocated[^1] != 0); round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 100; i++)
            {
                executable.Run(memory);
            }
            runs += 100;
            allocated.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.True(allocated[^1] == 0, $"every round of 100 runs allocated: {string.Join(", ", allocated)} bytes");
        Assert.Equal(runs + 1, executable.Run(memory));
    }

    [Fact]
    public void DisposedExecutablesRefuseToRun()
    {
        var executable = Load(Program(Mov64(0, 1), Exit()), verified: true);
        executable.Dispose();
        Assert.Throws<ObjectDisposedException>(() => executable.Run([]));
    }
}
