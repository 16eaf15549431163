using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.X64;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using static Bpftime.Tests.Engines.X64.Bpf;

namespace Bpftime.Tests.Engines.X64;

public sealed class JitEngineTests
{
    private static readonly X64JitEngine Engine = new();

    internal static ulong Run(Instruction[] code, byte[]? memory = null, bool verified = true, HelperTable? helpers = null)
    {
        var image = new ProgramImage("test", code, helpers ?? new HelperTable("none")) { Verified = verified };
        using var executable = Engine.Load(image, EngineOptions.Default);
        return executable.Run(memory ?? []);
    }

    [Fact]
    public void ReturnsAConstant() => Assert.Equal(42ul, Run(Program(Mov64(0, 42), Exit())));

    [Fact]
    public void AddsAndSubtracts()
    {
        var code = Program(Mov64(0, 10), Alu64(AluOperation.Add, 0, 300), Mov64(1, 7), Alu64Reg(AluOperation.Sub, 0, 1), Exit());
        Assert.Equal(303ul, Run(code));
    }

    [Fact]
    public void Alu32ZeroExtends()
    {
        var code = Program(LdImm64(0, -1), Alu32(AluOperation.Add, 0, 1), Exit());
        Assert.Equal(0ul, Run(code));
        code = Program(LdImm64(0, -1), Alu32(AluOperation.Add, 0, 0), Exit());
        Assert.Equal(0xffff_ffffUL, Run(code));
    }

    [Theory]
    [InlineData(100L, 7, false, false, 14UL)]
    [InlineData(100L, 7, true, false, 2UL)]
    [InlineData(100L, 0, false, false, 0UL)]
    [InlineData(100L, 0, true, false, 100UL)]
    [InlineData(-100L, 7, false, true, unchecked((ulong)-14L))]
    [InlineData(-100L, 7, true, true, unchecked((ulong)-2L))]
    [InlineData(long.MinValue, -1, false, true, unchecked((ulong)long.MinValue))]
    [InlineData(long.MinValue, -1, true, true, 0UL)]
    public void Divides64(long dividend, int divisor, bool modulo, bool signed, ulong expected)
    {
        var op = modulo ? AluOperation.Mod : AluOperation.Div;
        short offset = (short)(signed ? 1 : 0);
        var byRegister = Program(LdImm64(3, dividend), LdImm64(4, divisor), Mov64(0, 99), Alu64Reg(op, 3, 4, offset), Mov64Reg(0, 3), Exit());
        Assert.Equal(expected, Run(byRegister));
        var byImmediate = Program(LdImm64(3, dividend), Alu64(op, 3, divisor, offset), Mov64Reg(0, 3), Exit());
        Assert.Equal(expected, Run(byImmediate));
        // r0 and r3 (rax and rdx on the host) survive a division of another register.
        var keeps = Program(LdImm64(6, dividend), LdImm64(4, divisor), Mov64(0, 5), Mov64(3, 6), Alu64Reg(op, 6, 4, offset), Alu64Reg(AluOperation.Add, 0, 3), Exit());
        Assert.Equal(11ul, Run(keeps));
    }

    [Fact]
    public void Divides32ByZeroAndMinusOne()
    {
        Assert.Equal(0x8000_0000UL, Run(Program(LdImm64(0, 0x1_8000_0000), Alu32(AluOperation.Div, 0, -1, 1), Exit())));
        Assert.Equal(0x8000_0000UL, Run(Program(LdImm64(0, 0x1_8000_0000), Mov64(1, 0), Alu32Reg(AluOperation.Mod, 0, 1), Exit())));
        Assert.Equal(0UL, Run(Program(LdImm64(0, 0x1_8000_0000), Mov64(1, -1), Alu32Reg(AluOperation.Mod, 0, 1, 1), Exit())));
    }

    [Fact]
    public void LoopsCountDown()
    {
        // r0 = sum of 1..100
        var code = Program(Mov64(0, 0), Mov64(1, 100), Alu64Reg(AluOperation.Add, 0, 1), Alu64(AluOperation.Sub, 1, 1), Jmp(JumpOperation.Jne, 1, 0, -3), Exit());
        Assert.Equal(5050ul, Run(code));
    }

    [Fact]
    public void ReadsAndWritesContextAndStack()
    {
        var memory = new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 };
        var code = Program(
            Ldx(MemorySize.DoubleWord, 2, 1, 0),
            Stx(MemorySize.DoubleWord, 10, 2, -8),
            St(MemorySize.Byte, 10, -8, 0x7f),
            Ldx(MemorySize.DoubleWord, 0, 10, -8),
            Stx(MemorySize.Word, 1, 0, 4),
            Exit());
        Assert.Equal(0x0807060504030201UL & ~0xffUL | 0x7f, Run(code, memory, verified: true));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 0x7f, 2, 3, 4 }, memory);
        memory = [1, 2, 3, 4, 5, 6, 7, 8];
        Assert.Equal(0x0807060504030201UL & ~0xffUL | 0x7f, Run(code, memory, verified: false));
    }

    [Fact]
    public void CallsHelpersAndStopsOnZero()
    {
        var add = new HelperFunction(1, "add5", HelperPrototype.Unchecked, (a, b, c, d, e) => a + b + c + d + e);
        var unwind = new HelperFunction(5, "unwind", HelperPrototype.Unchecked, (a, _, _, _, _) => a, stopsProgramOnZero: true);
        var table = new HelperTable("t", [add, unwind]);
        var code = Program(Mov64(1, 1), Mov64(2, 2), Mov64(3, 3), Mov64(4, 4), Mov64(5, 5), Mov64(6, 100), Call(1), Alu64Reg(AluOperation.Add, 0, 6), Exit());
        Assert.Equal(115ul, Run(code, helpers: table));
        Assert.Equal(0ul, Run(Program(Mov64(1, 0), Call(5), Mov64(0, 2), Exit()), helpers: table));
        Assert.Equal(2ul, Run(Program(Mov64(1, 1), Call(5), Mov64(0, 2), Exit()), helpers: table));
        Assert.Equal(0ul, Run(Program(Mov64(1, 0), Mov64(2, 5), CallRegister(2), Mov64(0, 2), Exit()), helpers: table));
        Assert.Equal(2ul, Run(Program(Mov64(1, -1), Mov64(2, 5), CallRegister(2), Mov64(0, 2), Exit()), helpers: table));
        var fault = Assert.Throws<BpfException>(() => Run(Program(Mov64(2, 4), CallRegister(2), Exit()), helpers: table));
        Assert.Equal(DiagnosticCodes.JitUnknownHelperAtRunTime, fault.Code);
        Assert.Equal(1, fault.Diagnostic.InstructionIndex);
    }

    [Fact]
    public void LocalCallsKeepCalleeSavedRegistersAndFrames()
    {
        var code = Program(
            Mov64(6, 6), Mov64(1, 1), Mov64(2, 2),
            St(MemorySize.DoubleWord, 10, -8, 1000),
            CallLocal(4),
            Ldx(MemorySize.DoubleWord, 1, 10, -8),
            Alu64Reg(AluOperation.Add, 0, 1),
            Alu64Reg(AluOperation.Add, 0, 6),
            Exit(),
            // func: r0 = r1 + r2, clobbers r6 and its own stack slot
            St(MemorySize.DoubleWord, 10, -8, 7), Mov64(6, 0), Mov64Reg(0, 1), Alu64Reg(AluOperation.Add, 0, 2), Exit());
        Assert.Equal(1009ul, Run(code));
        Assert.Equal(1009ul, Run(code, verified: false));
    }

    [Fact]
    public void DeepRecursionFaults()
    {
        var code = Program(CallLocal(-1), Exit());
        var fault = Assert.Throws<BpfException>(() => Run(code));
        Assert.Equal(DiagnosticCodes.JitCallDepthExceeded, fault.Code);
        Assert.Equal(0, fault.Diagnostic.InstructionIndex);
    }

    [Fact]
    public void UncheckedOutOfBoundsFaultsWithIndex()
    {
        var code = Program(Mov64(0, 0), Ldx(MemorySize.Word, 0, 1, 8), Exit());
        var fault = Assert.Throws<BpfException>(() => Run(code, new byte[8], verified: false));
        Assert.Equal(DiagnosticCodes.ContextAccessOutOfBounds, fault.Code);
        Assert.Equal(1, fault.Diagnostic.InstructionIndex);
        Assert.Equal(0ul, Run(Program(Ldx(MemorySize.Word, 0, 1, 4), Exit()), new byte[8], verified: false));
        var wild = Program(Mov64(2, 0x1000), St(MemorySize.DoubleWord, 2, 0, 1), Exit());
        Assert.Equal(DiagnosticCodes.UnknownMemoryAccess, Assert.Throws<BpfException>(() => Run(wild, verified: false)).Code);
    }

    [Fact]
    public void Atomics()
    {
        var code = Program(
            St(MemorySize.DoubleWord, 10, -8, 10),
            Mov64(1, 5),
            Atomic(MemorySize.DoubleWord, AtomicOperation.FetchAdd, 10, 1, -8), // r1 = 10, mem 15
            Mov64(0, 3),
            Atomic(MemorySize.DoubleWord, AtomicOperation.FetchOr, 10, 0, -8), // r0 = 15, mem 15
            Mov64(2, 0x20),
            Atomic(MemorySize.DoubleWord, AtomicOperation.Or, 10, 2, -8), // mem 0x2f
            Ldx(MemorySize.DoubleWord, 3, 10, -8),
            Alu64(AluOperation.Lsh, 3, 16),
            Alu64Reg(AluOperation.Add, 0, 3),
            Alu64(AluOperation.Lsh, 1, 8),
            Alu64Reg(AluOperation.Add, 0, 1),
            Exit());
        Assert.Equal((0x2fUL << 16) + (10UL << 8) + 15, Run(code));
        Assert.Equal((0x2fUL << 16) + (10UL << 8) + 15, Run(code, verified: false));
    }
}
