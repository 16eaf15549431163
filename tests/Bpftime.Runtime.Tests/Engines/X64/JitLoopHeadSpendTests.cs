using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.Interpreter;
using Bpftime.Engines.X64;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using static Bpftime.Tests.Engines.X64.Bpf;

namespace Bpftime.Tests.Engines.X64;

/// <summary>
/// A loop head that one backward jump targets keeps its budget spend just above it: the back-edge is a
/// single jump, the way in from above skips the spend. The budget still buys exactly as many taken
/// back-edges as on the interpreter, and runs out at the same instruction.
/// </summary>
public sealed class JitLoopHeadSpendTests
{
    private static (ulong R0, string? Fault, int? Index) RunOn(IBpfEngine engine, Instruction[] code, long budget)
    {
        using var executable = engine.Load(new ProgramImage("loop", code, new HelperTable("none")) { Verified = false }, EngineOptions.Default with { ExecutionBudget = budget });
        try
        {
            return (executable.Run(new byte[8]), null, null);
        }
        catch (BpfException e)
        {
            return (0, e.Code, e.Diagnostic.InstructionIndex);
        }
    }

    private static (ulong R0, string? Fault, int? Index) Same(Instruction[] code, long budget)
    {
        var reference = RunOn(InterpreterEngine.Instance, code, budget);
        Assert.Equal(reference, RunOn(X64JitEngine.Instance, code, budget));
        return reference;
    }

    // r0 = 0; do r0 += 1 while (r0 < 1000): 999 taken back-edges.
    private static readonly Instruction[] Counting = Program(Mov64(0, 0), Alu64(AluOperation.Add, 0, 1), Jmp(JumpOperation.Jlt, 0, 1000, -2), Exit());

    [Fact]
    public void TheBudgetBuysExactlyTheTakenBackEdges()
    {
        Assert.Equal((1000ul, null, null), Same(Counting, 999));
        Assert.Equal((0ul, DiagnosticCodes.ExecutionBudgetExhausted, 2), Same(Counting, 998));
        Assert.Equal((0ul, DiagnosticCodes.ExecutionBudgetExhausted, 2), Same(Counting, 1));
    }

    [Fact]
    public void TheBackEdgeIsOneJumpToTheSpendAboveTheHead()
    {
        var backEdge = JitEncodingTests.Decode(Counting, 2, verified: false).Select(d => d.Text).ToArray();
        Assert.Equal(2, backEdge.Length);
        Assert.Equal("cmp rax, 0x3e8", backEdge[0]);
        Assert.StartsWith("jb ", backEdge[1]);
        // Above the head (the end of instruction 0's code): the jump over the spend, then the spend
        // (after int3 padding that starts it on a line: JitLoopAlignmentTests).
        var above = JitEncodingTests.Decode(Counting, 0, verified: false).Select(d => d.Text).Where(t => t != "int3").ToArray();
        Assert.StartsWith("jmp ", above[^5]);
        Assert.Equal("paddq xmm15, xmm14", above[^1]);
    }

    [Fact]
    public void HeadsWithSeveralBackEdgesAndSelfLoopsFaultWhereTheInterpreterDoes()
    {
        // Two back-edges to 1: r0 odd takes the one at 3, even the one at 5.
        var two = Program(Mov64(0, 0), Alu64(AluOperation.Add, 0, 1), Jmp(JumpOperation.Jeq, 0, 0, 3), Jset(0, 1, -3), Alu64(AluOperation.Mul, 2, 3), Ja(-5), Exit());
        var indexes = new HashSet<int?>();
        foreach (var budget in new long[] { 1, 2, 7, 8 })
        {
            var outcome = Same(two, budget);
            Assert.Equal(DiagnosticCodes.ExecutionBudgetExhausted, outcome.Fault);
            indexes.Add(outcome.Index);
        }
        Assert.Equal(new int?[] { 3, 5 }, indexes.Order());
        // ja -1 at 1: its own head.
        var self = Program(Jmp(JumpOperation.Jeq, 1, 12345, 1), Ja(-1), Exit());
        Assert.Equal((0ul, DiagnosticCodes.ExecutionBudgetExhausted, 1), Same(self, 5));
    }

    private static Instruction Jset(int dst, int imm, short offset) => Jmp(JumpOperation.Jset, dst, imm, offset);
}
