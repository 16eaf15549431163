using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Isa;
using static Bpftime.Runtime.Tests.Engines.Interpreter.InterpreterHarness;

namespace Bpftime.Runtime.Tests.Engines.Interpreter;

/// <summary>The corners of RFC 9669 where eBPF differs from C, C# or the host CPU.</summary>
public sealed class InterpreterSemanticsTests
{
    [Theory]
    // Division by zero gives 0; modulo by zero leaves dst (32-bit: its low half, zero-extended).
    [InlineData("mov %r0, 7\nmov %r1, 0\ndiv %r0, %r1\nexit", 0UL)]
    [InlineData("lddw %r0, 0x100000007\ndiv32 %r0, 0\nexit", 0UL)]
    [InlineData("lddw %r0, 0x100000007\nmov %r1, 0\ndiv32 %r0, %r1\nexit", 0UL)]
    [InlineData("lddw %r0, 0x100000007\nmov %r1, 0\nmod %r0, %r1\nexit", 0x100000007UL)]
    [InlineData("lddw %r0, 0x100000007\nmod %r0, 0\nexit", 0x100000007UL)]
    [InlineData("lddw %r0, 0x100000007\nmov %r1, 0\nmod32 %r0, %r1\nexit", 7UL)]
    [InlineData("lddw %r0, 0xfffffffffffffff9\nsdiv %r0, 0\nexit", 0UL)]
    [InlineData("lddw %r0, 0xfffffffffffffff9\nsmod %r0, 0\nexit", 0xfffffffffffffff9UL)]
    [InlineData("lddw %r0, 0xfffffffffffffff9\nsmod32 %r0, 0\nexit", 0xfffffff9UL)]
    // INT_MIN / -1 wraps to INT_MIN and INT_MIN % -1 is 0, without a host fault.
    [InlineData("lddw %r0, 0x8000000000000000\nsdiv %r0, -1\nexit", 0x8000000000000000UL)]
    [InlineData("lddw %r0, 0x8000000000000000\nmov %r1, -1\nsdiv %r0, %r1\nexit", 0x8000000000000000UL)]
    [InlineData("lddw %r0, 0x8000000000000000\nsmod %r0, -1\nexit", 0UL)]
    [InlineData("mov32 %r0, 0x80000000\nsdiv32 %r0, -1\nexit", 0x80000000UL)]
    [InlineData("mov32 %r0, 0x80000000\nmov32 %r1, -1\nsmod32 %r0, %r1\nexit", 0UL)]
    // Signed division truncates toward zero; the remainder takes the dividend's sign.
    [InlineData("mov %r0, -7\nsdiv %r0, 2\nexit", 0xfffffffffffffffdUL)]
    [InlineData("mov %r0, -7\nsmod %r0, 2\nexit", 0xffffffffffffffffUL)]
    [InlineData("mov32 %r0, -7\nsmod32 %r0, 2\nexit", 0xffffffffUL)]
    // Unsigned 64-bit division by an immediate sees the sign-extended immediate.
    [InlineData("mov %r0, -1\ndiv %r0, -1\nexit", 1UL)]
    // Shift counts are masked to the width.
    [InlineData("mov %r0, 1\nlsh %r0, 65\nexit", 2UL)]
    [InlineData("mov %r0, 1\nmov %r1, 64\nlsh %r0, %r1\nexit", 1UL)]
    [InlineData("mov32 %r0, 1\nlsh32 %r0, 33\nexit", 2UL)]
    [InlineData("mov32 %r0, 0x80\nmov %r1, 32\nrsh32 %r0, %r1\nexit", 0x80UL)]
    [InlineData("mov %r0, -1\nrsh %r0, 127\nexit", 1UL)]
    [InlineData("mov32 %r0, 0x80000000\narsh32 %r0, 4\nexit", 0xf8000000UL)]
    [InlineData("mov %r0, -16\narsh %r0, 66\nexit", 0xfffffffffffffffcUL)]
    // 32-bit results are zero-extended; 32-bit immediates of mov are not sign-extended.
    [InlineData("lddw %r0, 0xffffffffffffffff\nadd32 %r0, 1\nexit", 0UL)]
    [InlineData("mov32 %r0, -1\nexit", 0xffffffffUL)]
    [InlineData("mov %r0, -1\nexit", 0xffffffffffffffffUL)]
    [InlineData("mov32 %r0, 1\nneg32 %r0\nexit", 0xffffffffUL)]
    [InlineData("mov %r0, 1\nneg %r0\nexit", 0xffffffffffffffffUL)]
    [InlineData("lddw %r0, 0x8000000000000000\nneg %r0\nexit", 0x8000000000000000UL)]
    // Sign extension: movsx and ldsx.
    [InlineData("mov %r1, 0x180\nmovsx864 %r0, %r1\nexit", 0xffffffffffffff80UL)]
    [InlineData("mov %r1, 0x18000\nmovsx1664 %r0, %r1\nexit", 0xffffffffffff8000UL)]
    [InlineData("lddw %r1, 0x180000000\nmovsx3264 %r0, %r1\nexit", 0xffffffff80000000UL)]
    [InlineData("mov %r1, 0x80\nmovsx832 %r0, %r1\nexit", 0xffffff80UL)]
    [InlineData("mov %r1, 0x8000\nmovsx1632 %r0, %r1\nexit", 0xffff8000UL)]
    [InlineData("stb [%r10-1], 0x80\nldxsb %r0, [%r10-1]\nexit", 0xffffffffffffff80UL)]
    [InlineData("sth [%r10-2], 0x8001\nldxsh %r0, [%r10-2]\nexit", 0xffffffffffff8001UL)]
    [InlineData("stw [%r10-4], 0x80000001\nldxsw %r0, [%r10-4]\nexit", 0xffffffff80000001UL)]
    [InlineData("stw [%r10-4], 0x80000001\nldxw %r0, [%r10-4]\nexit", 0x80000001UL)]
    // Byte order: le truncates, be and bswap swap.
    [InlineData("lddw %r0, 0x1122334455667788\nle16 %r0\nexit", 0x7788UL)]
    [InlineData("lddw %r0, 0x1122334455667788\nle32 %r0\nexit", 0x55667788UL)]
    [InlineData("lddw %r0, 0x1122334455667788\nle64 %r0\nexit", 0x1122334455667788UL)]
    [InlineData("lddw %r0, 0x1122334455667788\nbe16 %r0\nexit", 0x8877UL)]
    [InlineData("lddw %r0, 0x1122334455667788\nbe32 %r0\nexit", 0x88776655UL)]
    [InlineData("lddw %r0, 0x1122334455667788\nbswap64 %r0\nexit", 0x8877665544332211UL)]
    // Stores truncate the immediate to the width; st dw sign-extends it.
    [InlineData("stdw [%r10-8], -1\nldxdw %r0, [%r10-8]\nexit", 0xffffffffffffffffUL)]
    [InlineData("stdw [%r10-8], 0\nsth [%r10-8], 0x12345\nldxdw %r0, [%r10-8]\nexit", 0x2345UL)]
    // JMP compares 64 bits with a sign-extended immediate; JMP32 the low halves.
    [InlineData("mov %r0, 0\nmov32 %r1, -1\njeq %r1, -1, +1\nmov %r0, 1\nexit", 1UL)]
    [InlineData("mov %r0, 0\nmov32 %r1, -1\njeq32 %r1, -1, +1\nmov %r0, 1\nexit", 0UL)]
    [InlineData("mov %r0, 0\nmov %r1, -2\njslt %r1, -1, +1\nmov %r0, 1\nexit", 0UL)]
    [InlineData("mov %r0, 0\nmov %r1, -2\njlt %r1, -1, +1\nmov %r0, 1\nexit", 0UL)]
    [InlineData("mov %r0, 0\nlddw %r1, 0x100000000\njset32 %r1, -1, +1\nmov %r0, 1\nexit", 1UL)]
    // gotol: a JMP32 ja whose offset is the 32-bit immediate.
    [InlineData("mov %r0, 1\ngotol +1\nmov %r0, 2\nexit", 1UL)]
    public void Computes(string source, ulong expected)
    {
        Assert.Equal(expected, Run(source));
        Assert.Equal(expected, Run(source, verified: true));
    }

    [Theory]
    // Without fetch the source register is unchanged; with fetch it receives the old value.
    [InlineData("stdw [%r10-8], 40\nmov %r1, 2\nlock add [%r10-8], %r1\nldxdw %r0, [%r10-8]\nlsh %r0, 8\nor %r0, %r1\nexit", (42UL << 8) | 2)]
    [InlineData("stdw [%r10-8], 40\nmov %r1, 2\nlock fetch add [%r10-8], %r1\nldxdw %r0, [%r10-8]\nlsh %r0, 8\nor %r0, %r1\nexit", (42UL << 8) | 40)]
    [InlineData("stdw [%r10-8], 0x0c\nmov %r1, 0x0a\nlock fetch or [%r10-8], %r1\nldxdw %r0, [%r10-8]\nlsh %r0, 8\nor %r0, %r1\nexit", (0x0eUL << 8) | 0x0c)]
    [InlineData("stdw [%r10-8], 0x0c\nmov %r1, 0x0a\nlock fetch and [%r10-8], %r1\nldxdw %r0, [%r10-8]\nlsh %r0, 8\nor %r0, %r1\nexit", (0x08UL << 8) | 0x0c)]
    [InlineData("stdw [%r10-8], 0x0c\nmov %r1, 0x0a\nlock fetch xor [%r10-8], %r1\nldxdw %r0, [%r10-8]\nlsh %r0, 8\nor %r0, %r1\nexit", (0x06UL << 8) | 0x0c)]
    [InlineData("stdw [%r10-8], 0x0c\nmov %r1, 0x0a\nlock xor [%r10-8], %r1\nldxdw %r0, [%r10-8]\nlsh %r0, 8\nor %r0, %r1\nexit", (0x06UL << 8) | 0x0a)]
    [InlineData("stdw [%r10-8], 7\nmov %r1, 9\nlock xchg [%r10-8], %r1\nldxdw %r0, [%r10-8]\nlsh %r0, 8\nor %r0, %r1\nexit", (9UL << 8) | 7)]
    // cmpxchg: r0 is the expected value and receives the old one; the store happens only on a match.
    [InlineData("stdw [%r10-8], 7\nmov %r0, 7\nmov %r1, 9\nlock cmpxchg [%r10-8], %r1\nldxdw %r2, [%r10-8]\nlsh %r2, 8\nor %r0, %r2\nexit", (9UL << 8) | 7)]
    [InlineData("stdw [%r10-8], 7\nmov %r0, 5\nmov %r1, 9\nlock cmpxchg [%r10-8], %r1\nldxdw %r2, [%r10-8]\nlsh %r2, 8\nor %r0, %r2\nexit", (7UL << 8) | 7)]
    // 32-bit atomics touch only their word and zero-extend what they fetch.
    [InlineData("stdw [%r10-8], -1\nmov %r1, 1\nlock fetch add32 [%r10-8], %r1\nmov %r0, %r1\nexit", 0xffffffffUL)]
    [InlineData("stdw [%r10-8], -1\nmov %r1, 1\nlock add32 [%r10-8], %r1\nldxdw %r0, [%r10-8]\nexit", 0xffffffff00000000UL)]
    [InlineData("lddw %r2, 0x1111111122222222\nstxdw [%r10-8], %r2\nlddw %r0, 0x9999999922222222\nmov %r1, 3\nlock cmpxchg32 [%r10-8], %r1\nexit", 0x22222222UL)]
    public void AtomicsLeaveTheDocumentedResults(string source, ulong expected)
    {
        Assert.Equal(expected, Run(source));
    }

    [Fact]
    public void CallxCallsTheHelperWhoseIdTheRegisterHolds()
    {
        var helpers = HelpersWith(Helper(7, (r1, _, _, _, _) => r1 * 3));
        Assert.Equal(21UL, Run("mov %r1, 7\nmov %r2, 7\ncall %r2\nexit", helpers: helpers));
        Assert.Equal(21UL, Run("mov %r1, 7\ncall 7\nexit", helpers: helpers));
    }

    [Fact]
    public void CallxToAnUnknownHelperFaultsAtTheCall()
    {
        var fault = Fault(DiagnosticCodes.UnknownHelper, 1, "mov %r2, 99\ncall %r2\nexit");
        Assert.Contains("99", fault.Message);
        Fault(DiagnosticCodes.UnknownHelper, 1, "mov %r2, -1\ncall %r2\nexit");
    }

    [Fact]
    public void CallToAnUnknownHelperFaultsOnlyWhenReached()
    {
        Assert.Equal(1UL, Run("mov %r0, 1\nja +1\ncall 1234\nexit"));
        Fault(DiagnosticCodes.UnknownHelper, 1, "mov %r0, 1\ncall 1234\nexit");
    }

    [Fact]
    public void AHelperThatStopsOnZeroEndsTheProgramEvenInsideALocalCall()
    {
        Assert.Equal(0UL, Run("mov %r1, 0\ncall 5\nmov %r0, 2\nexit"));
        Assert.Equal(2UL, Run("mov %r1, 1\ncall 5\nmov %r0, 2\nexit"));
        Assert.Equal(0UL, Run("call local f\nmov %r0, 2\nexit\nf:\nmov %r1, 0\ncall 5\nmov %r0, 3\nexit"));
    }

    [Fact]
    public void AHelperExceptionBecomesAFaultNamingTheCall()
    {
        var helpers = HelpersWith(Helper(9, (_, _, _, _, _) => throw new InvalidOperationException("boom")));
        var fault = Fault(DiagnosticCodes.HelperFailed, 1, "mov %r0, 0\ncall 9\nexit", helpers: helpers);
        Assert.Contains("boom", fault.Message);
    }

    [Fact]
    public void LocalCallsGetTheirOwnFrameAndKeepTheCallersRegisters()
    {
        // The callee's r10 is one frame (512 bytes) below the caller's.
        Assert.Equal(512UL, Run("mov %r6, %r10\ncall local f\nsub %r6, %r0\nmov %r0, %r6\nexit\nf:\nmov %r0, %r10\nexit"));
        // r6-r9 survive the call even though the callee overwrites them.
        Assert.Equal(6789UL, Run("""
            mov %r6, 6
            mov %r7, 7
            mov %r8, 8
            mov %r9, 9
            call local f
            mul %r6, 1000
            mul %r7, 100
            mul %r8, 10
            add %r6, %r7
            add %r6, %r8
            add %r6, %r9
            mov %r0, %r6
            exit
            f:
            mov %r6, 0
            mov %r7, 0
            mov %r8, 0
            mov %r9, 0
            exit
            """));
    }

    [Fact]
    public void FramesDoNotShareStackSlots()
    {
        // Caller and callee both use [r10-8]; the callee also writes the caller's slot through a pointer.
        Assert.Equal((11UL << 16) | (22UL << 8) | 33, Run("""
            stdw [%r10-8], 11
            stdw [%r10-16], 0
            mov %r1, %r10
            sub %r1, 16
            call local f
            ldxdw %r2, [%r10-8]
            ldxdw %r3, [%r10-16]
            lsh %r2, 16
            lsh %r3, 8
            or %r0, %r2
            or %r0, %r3
            exit
            f:
            stdw [%r10-8], 22
            stdw [%r1+0], 22
            ldxdw %r0, [%r10-8]
            add %r0, 11
            exit
            """));
    }

    [Fact]
    public void CalleeFramesStartZeroedForUncheckedReads()
    {
        // g leaves 5 in its frame; f, in the same memory afterwards, must not see it.
        Assert.Equal(0UL, Run("call local g\ncall local f\nexit\ng:\nstdw [%r10-8], 5\nexit\nf:\nldxdw %r0, [%r10-8]\nexit"));
    }

    private const string Recursion = """
        call local f
        exit
        f:
        jeq %r1, 0, +2
        sub %r1, 1
        call local f
        exit
        """;

    [Fact]
    public void EightFramesAreAllowedAndTheNinthFaults()
    {
        // r1 nested calls below the entry frame: 7 gives 8 frames in all.
        var program = Assemble(Recursion.Replace("call local f\nexit\nf:", "mov %r0, 5\ncall local f\nexit\nf:"));
        using (var executable = Load(program))
        {
            Assert.Equal(5UL, executable.Execute(0, 0));
        }
        var limited = Assemble("mov %r1, 6\n" + Recursion);
        Assert.Equal(0UL, Run(limited));
        var tooDeep = Assemble("mov %r1, 7\n" + Recursion);
        var fault = Fault(DiagnosticCodes.CallDepthExceeded, 5, tooDeep);
        Assert.Contains("8 frames", fault.Message);
    }

    [Fact]
    public void JumpsOutOfTheProgramFaultWhenTaken()
    {
        var program = new[]
        {
            new Instruction(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Mov, OperandSource.Immediate), 0, 0, 0, 1),
            new Instruction(Opcodes.Jump(InstructionClass.Jmp, JumpOperation.Jeq, OperandSource.Immediate), 0, 0, 5, 2),
            new Instruction(Opcodes.Ja, 0, 0, -10, 0),
            new Instruction(Opcodes.Exit, 0, 0, 0, 0),
        };
        var fault = Fault(DiagnosticCodes.JumpOutOfRange, 2, program);
        Assert.Contains("-7", fault.Message);
    }

    [Fact]
    public void RunningPastTheEndFaults()
    {
        // Code that can only run off the end never loads; code that may also exit faults when it runs off.
        var program = new[] { new Instruction(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Mov, OperandSource.Immediate), 0, 0, 0, 1) };
        Refused(DiagnosticCodes.NoReachableExit, program);
        Fault(DiagnosticCodes.FellOffEnd, 3, Assemble("jeq %r1, 0, +1\nexit\nmov %r0, 1\nmov %r0, 2"));
    }

    [Fact]
    public void JumpingIntoTheSecondHalfOfLdImm64Faults()
    {
        var program = Assemble("ja +1\nlddw %r0, 1\nexit");
        Fault(DiagnosticCodes.ReachedLoadImm64Tail, 2, program);
    }

    [Fact]
    public void LoadRefusesWhatCannotRun()
    {
        Refused(DiagnosticCodes.UnsupportedLoadImm64Source, Assemble("lddw %r0, 0\nexit").WithLoadImm64(0, LoadImm64Source.VariableAddress, 1));
        Refused(DiagnosticCodes.UnknownMapReference, Assemble("lddw %r0, 0\nexit").WithLoadImm64(0, LoadImm64Source.MapByIndex, 3));
        Refused(DiagnosticCodes.TruncatedLoadImm64, [new Instruction(Opcodes.LoadImm64, 0, 0, 0, 1)]);
        Refused(DiagnosticCodes.LoadInvalidRegister, [new Instruction(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Mov, OperandSource.Immediate), 10, 0, 0, 1), new Instruction(Opcodes.Exit, 0, 0, 0, 0)]);
        Refused(DiagnosticCodes.LoadInvalidRegister, [new Instruction(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Mov, OperandSource.Register), 0, 11, 0, 0), new Instruction(Opcodes.Exit, 0, 0, 0, 0)]);
        Refused(DiagnosticCodes.LoadEmptyProgram, []);
        Refused(DiagnosticCodes.UnsupportedInstruction, [new Instruction(0xff, 0, 0, 0, 0)]);
        Refused(DiagnosticCodes.LegacyPacketLoadUnsupported, [new Instruction(0x20, 0, 0, 0, 0), new Instruction(Opcodes.Exit, 0, 0, 0, 0)]); // ld abs: no socket buffer runs here
        Refused(DiagnosticCodes.UnsupportedInstruction, [new Instruction(0x38, 0, 0, 0, 0), new Instruction(Opcodes.Exit, 0, 0, 0, 0)]); // ld abs of a double word: no such instruction
        Refused(DiagnosticCodes.UnsupportedInstruction, [new Instruction(Opcodes.Call, 0, (byte)CallSource.KernelFunction, 0, 1), new Instruction(Opcodes.Exit, 0, 0, 0, 0)]);
        var diagnostic = Refused(DiagnosticCodes.UnsupportedInstruction, Assemble("mov %r0, 1\ndiv %r0, 3\nexit").Select((insn, i) => i == 1 ? insn.WithOffset(2) : insn).ToArray());
        Assert.Equal(1, diagnostic.InstructionIndex);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RunsAllocateNothing(bool verified)
    {
        // Registers, frames and stack live on the thread's stack: a run must not touch the managed heap.
        var helpers = HelpersWith(Helper(7, (r1, _, _, _, _) => r1 + 1));
        using var executable = Load(Assemble("""
            mov %r6, 0
            loop:
            stxdw [%r10-8], %r6
            ldxdw %r1, [%r10-8]
            call 7
            mov %r2, 7
            call %r2
            mov %r6, %r0
            call local f
            jlt %r6, 100, loop
            mov %r0, %r6
            exit
            f:
            exit
            """), helpers, verified: verified);
        AssertNoAllocation(executable);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MapValueAccessesAllocateNothing(bool verified)
    {
        using var map = Bpftime.Maps.ArrayMap.Create("m", 8, 1);
        var program = Assemble("lddw %r1, 0\nldxdw %r0, [%r1+0]\nadd %r0, 1\nstxdw [%r1+0], %r0\nexit")
            .WithLoadImm64(0, LoadImm64Source.MapValueByIndex, 0);
        using var executable = Load(program, maps: [map], verified: verified);
        AssertNoAllocation(executable);
        Assert.Equal(101UL, BitConverter.ToUInt64(map.GetValue(0)));
    }

    /// <summary>
    /// A round of 100 runs allocates nothing. The runtime itself may allocate once on this thread while
    /// the interpreter's methods move between tiers (seen once in a full run: 1,264 bytes), so up to
    /// five rounds are tried; an allocation of the runs themselves would show in every round.
    /// </summary>
    private static void AssertNoAllocation(IBpfExecutable executable)
    {
        executable.Execute(0, 0);
        var allocated = new List<long>();
        for (var round = 0; round < 5; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 100; i++)
            {
                executable.Execute(0, 0);
            }
            allocated.Add(GC.GetAllocatedBytesForCurrentThread() - before);
            if (allocated[^1] == 0)
            {
                return;
            }
        }
        Assert.Fail($"every round of 100 runs allocated: {string.Join(", ", allocated)} bytes");
    }

    [Fact]
    public void AnExecutableRunsManyTimesAndRefusesToRunAfterDispose()
    {
        var executable = Load(Assemble("mov %r0, %r2\nexit"));
        Assert.Equal(3UL, executable.Run(new byte[3]));
        Assert.Equal(5UL, executable.Run(new byte[5]));
        executable.Dispose();
        Assert.Throws<ObjectDisposedException>(() => executable.Execute(0, 0));
    }
}
