using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Hosting;
using Bpftime.Objects;
using Bpftime.Verification;
using static Bpftime.Tests.Verification.VerifierKit;

namespace Bpftime.Tests.Verification;

/// <summary>Patterns real programs use that the verifier must accept, and what it reports about them.</summary>
public sealed class SafeProgramTests
{
    [Fact]
    public void NullCheckOnACopyCoversTheOriginal()
    {
        AssertPasses(Verify("""
            stw [%r10-4], 0
            mov %r2, %r10
            add %r2, -4
            ldmap %r1, 0
            call 1
            mov %r7, %r0
            jeq %r7, 0, out
            ldxdw %r0, [%r0+0]
            exit
            out:
            mov %r0, 0
            exit
            """));
    }

    [Fact]
    public void BoundedIndexIntoMapValue()
    {
        AssertPasses(Verify("""
            mov %r6, %r1
            stw [%r10-4], 0
            mov %r2, %r10
            add %r2, -4
            ldmap %r1, 0
            call 1
            jeq %r0, 0, out
            ldxb %r2, [%r6+0]
            jgt %r2, 40, out
            add %r0, %r2
            ldxdw %r0, [%r0+0]
            exit
            out:
            mov %r0, 0
            exit
            """));
    }

    [Fact]
    public void BoundLearnedOnACopyAppliesToTheOriginal()
    {
        AssertPasses(Verify("""
            mov %r6, %r1
            stw [%r10-4], 0
            mov %r2, %r10
            add %r2, -4
            ldmap %r1, 0
            call 1
            jeq %r0, 0, out
            ldxb %r2, [%r6+0]
            mov %r3, %r2
            jgt %r3, 40, out
            add %r0, %r2
            ldxdw %r0, [%r0+0]
            exit
            out:
            mov %r0, 0
            exit
            """));
    }

    [Fact]
    public void MaskedIndexIntoStackArray()
    {
        AssertPasses(Verify("""
            stdw [%r10-8], 0
            stdw [%r10-16], 0
            ldxb %r2, [%r1+0]
            and %r2, 15
            mov %r3, %r10
            add %r3, -16
            add %r3, %r2
            ldxb %r0, [%r3+0]
            exit
            """));
    }

    [Fact]
    public void PointerSpilledAndFilledKeepsItsType()
    {
        AssertPasses(Verify("""
            stxdw [%r10-8], %r1
            mov %r1, 0
            ldxdw %r2, [%r10-8]
            ldxw %r0, [%r2+4]
            exit
            """));
    }

    [Fact]
    public void ThirtyTwoBitOperationsZeroTheUpperHalf()
    {
        // w2 = load; w2 += 0xffffffff wraps in 32 bits, the upper half stays zero, so the mask bounds it.
        AssertPasses(Verify("""
            stdw [%r10-8], 0
            ldxdw %r2, [%r1+0]
            mov32 %r2, %r2
            and32 %r2, 7
            mov %r3, %r10
            add %r3, -8
            add %r3, %r2
            ldxb %r0, [%r3+0]
            exit
            """));
    }

    [Fact]
    public void PacketAccessAfterCheckWithVariableOffset()
    {
        var result = Verify("""
            ldxw %r2, [%r1+0]
            ldxw %r3, [%r1+4]
            mov %r4, %r2
            add %r4, 1
            jgt %r4, %r3, drop
            ldxb %r5, [%r2+0]
            and %r5, 31
            add %r2, %r5
            mov %r4, %r2
            add %r4, 4
            jgt %r4, %r3, drop
            ldxw %r0, [%r2+0]
            exit
            drop:
            mov %r0, 1
            exit
            """, type: ProgramType.Xdp);
        AssertPasses(result);
        Assert.Equal([0, 1], result.ContextRewrites.Select(r => r.InstructionIndex));
        Assert.Equal([ContextFieldKind.PacketStart, ContextFieldKind.PacketEnd], result.ContextRewrites.Select(r => r.Kind));
    }

    [Fact]
    public void RingBufferRecordSubmittedOnEveryPath()
    {
        AssertPasses(Verify("""
            mov %r6, %r1
            ldmap %r1, 2
            mov %r2, 16
            mov %r3, 0
            call 131
            jeq %r0, 0, out
            ldxdw %r2, [%r6+0]
            stxdw [%r0+8], %r2
            mov %r1, %r0
            jeq %r2, 0, discard
            mov %r2, 0
            call 132
            ja out
            discard:
            mov %r2, 0
            call 133
            out:
            mov %r0, 0
            exit
            """));
    }

    [Fact]
    public void LoopCallbackMayUpdateTheCallersStack()
    {
        AssertPasses(Verify("""
            stdw [%r10-8], 0
            mov %r1, 16
            ldfunc %r2, step
            mov %r3, %r10
            add %r3, -8
            mov %r4, 0
            call 181
            ldxdw %r0, [%r10-8]
            exit
            step:
            ldxdw %r3, [%r2+0]
            add %r3, %r1
            stxdw [%r2+0], %r3
            mov %r0, 0
            exit
            """));
    }

    [Fact]
    public void TailCallThroughProgramArray()
    {
        AssertPasses(Verify("ldmap %r2, 3\nmov %r3, 1\ncall 12\nmov %r0, 0\nexit"));
    }

    [Fact]
    public void StackDepthIsReportedPerFunctionAndChain()
    {
        var result = Verify("""
            stdw [%r10-24], 0
            call local f
            exit
            f:
            stdw [%r10-100], 0
            mov %r0, 0
            exit
            """);
        AssertPasses(result);
        Assert.Equal(24, result.FunctionStackDepths[0]);
        Assert.Equal(100, result.FunctionStackDepths[3]);
        Assert.Equal(100, result.MaxStackDepth);
        Assert.Equal(24 + 104, result.CombinedStackDepth);
    }

    [Fact]
    public void HostHelperIsCheckedByItsOwnPrototype()
    {
        var helpers = new HelperTable("host", [new HelperFunction(1000, "host_sum", HelperPrototype.Of(HelperReturnKind.Integer, HelperArgumentKind.Memory, HelperArgumentKind.ConstSize), (_, _, _, _, _) => 0)]);
        var options = new VerifierOptions { ContextSize = 64, Helpers = helpers };
        AssertPasses(Verify("stdw [%r10-8], 0\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 8\ncall 1000\nexit", options));
        AssertRefused(Verify("mov %r1, %r10\nadd %r1, -8\nmov %r2, 8\ncall 1000\nexit", options), Diagnostics.DiagnosticCodes.VerifierUninitializedStack, 3);
    }

    [Fact]
    public void VerifiedImageRunsOnTheInterpreterWithoutChecks()
    {
        var code = Assemble("ldxb %r0, [%r1+3]\nadd %r0, 1\nexit");
        var result = BpfVerifier.Verify(code, [], new VerifierOptions { ContextSize = 8 });
        AssertPasses(result);
        var image = new ProgramImage("add_one", code, new HelperTable("none")).WithVerification(result);
        Assert.True(image.Verified);
        Assert.Equal(8, image.StackSize);
        using var executable = Bpftime.Engines.Interpreter.InterpreterEngine.Instance.Load(image, EngineOptions.Default);
        Assert.Equal(8UL, executable.Run(new byte[] { 0, 0, 0, 7, 0, 0, 0, 0 }));
    }

    [Fact]
    public void RefusedImageStaysUnverified()
    {
        var code = Assemble("ldxb %r0, [%r1+30]\nexit");
        var result = BpfVerifier.Verify(code, [], new VerifierOptions { ContextSize = 8 });
        var image = new ProgramImage("p", code, new HelperTable("none")).WithVerification(result);
        Assert.False(image.Verified);
        Assert.Throws<Diagnostics.BpfException>(result.EnsurePassed);
    }

    [Fact]
    public void HostContextTypeBecomesTheContextLayout()
    {
        var type = new Bpftime.Hosting.BpfContextType("event", 16).Field("pid", 0, 4).Field("result", 8, 8, writable: true);
        var options = new VerifierOptions { Context = type.ToContextLayout() };
        AssertPasses(Verify("ldxw %r2, [%r1+0]\nstxdw [%r1+8], %r2\nmov %r0, 0\nexit", options));
        AssertRefused(Verify("stw [%r1+0], 1\nmov %r0, 0\nexit", options), Diagnostics.DiagnosticCodes.VerifierReadOnlyWrite, 0);
        AssertRefused(Verify("ldxw %r0, [%r1+4]\nexit", options), Diagnostics.DiagnosticCodes.VerifierInvalidContextAccess, 0);
    }
}
