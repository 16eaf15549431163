using Bpftime.Diagnostics;
using static Bpftime.Tests.Verification.VerifierKit;

namespace Bpftime.Tests.Verification;

/// <summary>
/// Functions of .text linked into the program that calls them (the corpus's build/bpf2bpf.o): each is
/// verified on every path that calls it, with the pointer its caller passes, never alone.
/// </summary>
public sealed class LinkedSubprogramTests
{
    /// <summary>The caller's counter at fp-8, incremented by add1 directly and by add2 twice through add1.</summary>
    private const string Callers = """
        stw [%r10-8], 3
        mov %r6, %r10
        add %r6, -8
        mov %r1, %r6
        call local add2
        mov %r1, %r6
        call local add1
        ldxw %r0, [%r10-8]
        exit
        """;

    private const string Add2 = """
        add2:
        stxdw [%r10-8], %r1
        call local add1
        ldxdw %r1, [%r10-8]
        call local add1
        exit
        """;

    [Fact]
    public void FunctionsWritingThroughThePointerTheirCallerPassesAreProvenInEveryCaller()
    {
        var result = Verify(Callers + "\n" + Add2 + "\n" + """
            add1:
            stxdw [%r10-8], %r1
            ldxdw %r1, [%r10-8]
            ldxw %r2, [%r1+0]
            add %r2, 1
            stxw [%r1+0], %r2
            mov %r0, %r2
            exit
            """);

        AssertPasses(result);
    }

    [Fact]
    public void AFunctionWritingPastItsCallersVariableIsRefusedAtTheStore()
    {
        // add1 writes 4 bytes at the pointer + 8: past fp-8's slot, at the top of the caller's stack.
        var result = Verify(Callers + "\n" + Add2 + "\n" + """
            add1:
            stxdw [%r10-8], %r1
            ldxdw %r1, [%r10-8]
            ldxw %r2, [%r1+0]
            add %r2, 1
            stxw [%r1+8], %r2
            mov %r0, %r2
            exit
            """);

        var error = Assert.Single(result.Errors);
        Assert.Equal(DiagnosticCodes.VerifierStackOutOfBounds, error.Code);
        Assert.Equal(18, error.InstructionIndex);
    }
}
