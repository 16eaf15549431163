using Bpftime.Objects;
using Bpftime.Verification;
using Xunit.Abstractions;
using static Bpftime.Diagnostics.DiagnosticCodes;
using static Bpftime.Tests.Verification.VerifierKit;

namespace Bpftime.Tests.Verification;

/// <summary>
/// The relational domain (<see cref="Relations"/>): differences between registers and spilled slots
/// learned from comparisons, joined and widened at loop heads, respected by pruning, and used to
/// bound memory accesses through another register. Pruning first: a state without a difference the
/// covering state relied on must not be pruned.
/// </summary>
public sealed class RelationalVerificationTests(ITestOutputHelper output)
{
    private VerificationResult Check(string source, VerifierOptions? options = null)
    {
        var result = Verify(source, options);
        output.WriteLine(Explain(result));
        return result;
    }

    /// <summary>
    /// Two paths meet at "join" with the same ranges (i in [0, 63], n in [1, 64]); only the first
    /// knows i &lt; n. After n &lt;= 40 the first may read value[i + 8]; the second reads up to
    /// value[71] of a 48-byte value. The first is explored (and proven) first: were the second pruned
    /// by it on ranges alone, the program would be accepted.
    /// </summary>
    private const string PathsWithAndWithoutTheRelation = """
        stw [%r10-4], 0
        mov %r2, %r10
        add %r2, -4
        ldmap %r1, 0
        call 1
        jeq %r0, 0, out
        mov %r6, %r0
        ldxb %r7, [%r6+0]
        and %r7, 63
        ldxb %r8, [%r6+1]
        and %r8, 63
        add %r8, 1
        ldxb %r9, [%r6+2]
        jeq %r9, 0, other
        jge %r7, %r8, out
        ja join
        other:
        mov %r9, 1
        join:
        jgt %r8, 40, out
        add %r6, %r7
        ldxb %r0, [%r6+8]
        out:
        mov %r0, 0
        exit
        """;

    [Fact]
    public void PruningDoesNotTakeAStateWithoutTheRelationTheCoveringStateUsed()
    {
        var result = Check(PathsWithAndWithoutTheRelation);
        AssertRefused(result, VerifierMapValueOutOfBounds, 20);
    }

    /// <summary>
    /// XDP: n = data[0]; r7 = data + n. The first path checks a second pointer, data + n + 1, against
    /// data_end (so r7's byte is inside only through the relation n + 1 &lt;= len); the other checks
    /// nothing. Both meet at "join" with r7 alike (same range, same id, no packet range).
    /// </summary>
    private const string PacketPathsWithAndWithoutTheRelation = """
        ldxw %r2, [%r1+0]
        ldxw %r3, [%r1+4]
        mov %r4, %r2
        add %r4, 2
        jgt %r4, %r3, out
        ldxb %r5, [%r2+0]
        ldxb %r6, [%r2+1]
        mov %r7, %r2
        add %r7, %r5
        jeq %r6, 0, other
        mov %r8, %r2
        add %r8, %r5
        add %r8, 1
        jgt %r8, %r3, out
        ja join
        other:
        mov %r6, 1
        join:
        ldxb %r0, [%r7+0]
        out:
        mov %r0, 2
        exit
        """;

    [Fact]
    public void PruningDoesNotTakeAPacketStateWithoutTheRelationToTheLength()
    {
        var result = Verify(PacketPathsWithAndWithoutTheRelation, type: ProgramType.Xdp);
        output.WriteLine(Explain(result));
        AssertRefused(result, VerifierPacketOutOfBounds, 16);
    }

    [Fact]
    public void APacketPointerIsBoundedThroughAnotherPointerCheckedAgainstTheEnd()
    {
        var result = Verify(PacketPathsWithAndWithoutTheRelation.Replace("jeq %r6, 0, other", "jeq %r6, 0, out", StringComparison.Ordinal), type: ProgramType.Xdp);
        output.WriteLine(Explain(result));
        AssertPasses(result);
        // Without the + 1 the byte at data + n is past the checked end.
        result = Verify(PacketPathsWithAndWithoutTheRelation
            .Replace("jeq %r6, 0, other", "jeq %r6, 0, out", StringComparison.Ordinal)
            .Replace("add %r8, 1\n", "", StringComparison.Ordinal), type: ProgramType.Xdp);
        output.WriteLine(Explain(result));
        AssertRefused(result, VerifierPacketOutOfBounds, 15);
    }

    [Fact]
    public void TheIndexIsBoundedThroughTheRegisterItWasComparedWith()
    {
        // Only the path with i < n: after n <= 40, i <= 39 and value[i + 8] stays inside 48 bytes.
        var result = Check(PathsWithAndWithoutTheRelation.Replace("jeq %r9, 0, other", "jeq %r9, 0, out", StringComparison.Ordinal));
        AssertPasses(result);
    }

    [Fact]
    public void TheBoundOneTooLargeIsRefusedAtTheAccess()
    {
        // n <= 41: i may be 40, and value[48] is past the end.
        var result = Check(PathsWithAndWithoutTheRelation
            .Replace("jeq %r9, 0, other", "jeq %r9, 0, out", StringComparison.Ordinal)
            .Replace("jgt %r8, 40, out", "jgt %r8, 41, out", StringComparison.Ordinal));
        AssertRefused(result, VerifierMapValueOutOfBounds, 20);
    }

    [Fact]
    public void ABranchTheRelationsRuleOutIsNotExplored()
    {
        // i < n, then n <= i is impossible: the read of an uninitialised r5 behind it is never reached.
        var result = Check("""
            ldxdw %r7, [%r1+0]
            ldxdw %r8, [%r1+8]
            jge %r7, %r8, out
            jgt %r8, %r7, out
            mov %r0, %r5
            exit
            out:
            mov %r0, 0
            exit
            """);
        AssertPasses(result);
    }

    [Fact]
    public void ARelationToASpilledSlotSurvivesTheFill()
    {
        // n is spilled, overwritten in r8, filled back into r3: i < n still bounds i after n <= 40.
        var result = Check(PathsWithAndWithoutTheRelation
            .Replace("jeq %r9, 0, other", "jeq %r9, 0, out", StringComparison.Ordinal)
            .Replace("ja join", "stxdw [%r10-16], %r8\nmov %r8, 1000\nldxdw %r8, [%r10-16]\nja join", StringComparison.Ordinal));
        AssertPasses(result);
    }

    [Fact]
    public void AnyOtherWriteDropsTheRelation()
    {
        // n = n * 1 is the same number, but a multiplication starts a new value: i is unbounded again.
        var result = Check(PathsWithAndWithoutTheRelation
            .Replace("jeq %r9, 0, other", "jeq %r9, 0, out", StringComparison.Ordinal)
            .Replace("ja join", "mul %r8, 1\nja join", StringComparison.Ordinal));
        AssertRefused(result, VerifierMapValueOutOfBounds, 21);
    }

    /// <summary>for (i = 0; i &lt; n; i++) with n a 16-bit number from the context, kept in r8.</summary>
    private const string CountToN = """
        ldxh %r8, [%r1+0]
        mov %r7, 0
        mov %r0, 0
        loop:
        jge %r7, %r8, out
        add %r0, %r7
        add %r7, 1
        ja loop
        out:
        exit
        """;

    [Fact]
    public void ALoopBoundedByAnotherRegisterIsProvenToEnd()
    {
        var result = Check(CountToN, new VerifierOptions { ContextSize = 64, RequireTermination = true });
        AssertPasses(result);
        Assert.True(result.TerminationProven);
    }

    [Fact]
    public void ALoopThatMovesItsBoundWithTheCounterIsNotProvenToEnd()
    {
        // n grows with i: n - i never shrinks, and no bound stays put.
        var result = Check(CountToN.Replace("add %r7, 1", "add %r7, 1\nadd %r8, 1", StringComparison.Ordinal),
            new VerifierOptions { ContextSize = 64, RequireTermination = true });
        AssertRefused(result, VerifierTerminationNotProven, 3);
    }

    [Fact]
    public void ATableIndexBoundedThroughItsCountIsProved()
    {
        // user_lookup.bpf.c: want < count, then count <= 64: items[want] is inside the value. Its
        // twin (count <= 65) is refused in UserLoopProgramTests.
        var path = Path.Combine(TestPaths.DataDirectory, "obj", "verifier", "user_lookup.bpf.o");
        var result = Assert.Single(BpfVerifier.Verify(ObjectReader.ReadFile(path), VerifierOptions.Default));
        output.WriteLine(Explain(result));
        AssertPasses(result);
    }
}
