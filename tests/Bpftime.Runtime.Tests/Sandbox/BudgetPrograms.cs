using Bpftime.Diagnostics;
using Bpftime.Isa;
using static Bpftime.Tests.Engines.X64.Bpf;

namespace Bpftime.Tests.Sandbox;

/// <summary>The loops the execution-budget tests run, checked or verified, and the fault they must end in.</summary>
internal static class BudgetPrograms
{
    /// <summary>r0 counts up until it wraps to zero: 2^64 iterations, an exit the structure allows but no run reaches.</summary>
    public static Instruction[] EndlessLoop() => Program(
        Mov64(0, 0),
        Alu64(AluOperation.Add, 0, 1),
        Jmp(JumpOperation.Jne, 0, 0, -2),
        Exit());

    /// <summary>Counts to <paramref name="iterations"/> with a backward jump per iteration.</summary>
    public static Instruction[] CountingLoop(int iterations) => Program(
        Mov64(0, 0),
        Alu64(AluOperation.Add, 0, 1),
        Jmp(JumpOperation.Jlt, 0, iterations, -2),
        Exit());

    public static void AssertBudgetFault(Exception? error)
    {
        var fault = Assert.IsType<BpfException>(error);
        Assert.Equal(DiagnosticCodes.ExecutionBudgetExhausted, fault.Code);
    }
}
