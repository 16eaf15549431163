using Bpftime.Diagnostics;
using Bpftime.Verification;
using static Bpftime.Tests.Verification.VerifierKit;

namespace Bpftime.Tests.Verification;

public sealed class BasicVerifierTests
{
    [Fact]
    public void AcceptsAConstantReturn()
    {
        var result = Verify("mov %r0, 1\nexit");
        AssertPasses(result);
        Assert.Equal(2, result.Statistics.InstructionsProcessed);
    }

    [Fact]
    public void RefusesAnUninitialisedReturnValue()
    {
        var diagnostic = AssertRefused(Verify("exit"), DiagnosticCodes.VerifierUninitializedRegister, 0);
        Assert.Contains("R0", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NullCheckedMapValueMayBeRead()
    {
        AssertPasses(Verify("""
            stw [%r10-4], 0
            mov %r2, %r10
            add %r2, -4
            ldmap %r1, 0
            call 1
            jeq %r0, 0, out
            ldxdw %r0, [%r0+40]
            exit
            out:
            mov %r0, 0
            exit
            """));
    }

    [Fact]
    public void UncheckedMapValueNamesTheNullRule()
    {
        var diagnostic = AssertRefused(Verify("""
            stw [%r10-4], 0
            mov %r2, %r10
            add %r2, -4
            ldmap %r1, 0
            call 1
            ldxdw %r0, [%r0+0]
            exit
            """), DiagnosticCodes.VerifierPossibleNullDereference, 6);
        Assert.Contains("R0 is map_value_or_null", diagnostic.Message, StringComparison.Ordinal);
        Assert.Contains("check it against 0", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BoundedLoopTerminatesAndUnboundedOneIsRefused()
    {
        AssertPasses(Verify("""
            mov %r0, 0
            mov %r1, 0
            loop:
            add %r0, %r1
            add %r1, 1
            jlt %r1, 100, loop
            exit
            """));
        AssertRefused(Verify("""
            mov %r0, 0
            loop:
            ja loop
            exit
            """), DiagnosticCodes.VerifierInfiniteLoop, 1);
    }

    [Fact]
    public void ContextOfDeclaredSizeBoundsAccess()
    {
        AssertPasses(Verify("ldxdw %r0, [%r1+56]\nexit", new VerifierOptions { ContextSize = 64 }));
        AssertRefused(Verify("ldxdw %r0, [%r1+60]\nexit", new VerifierOptions { ContextSize = 64 }), DiagnosticCodes.VerifierInvalidContextAccess, 0);
    }
}
