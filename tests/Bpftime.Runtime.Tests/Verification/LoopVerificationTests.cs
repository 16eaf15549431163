using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Objects;
using Bpftime.Verification;
using Xunit.Abstractions;
using static Bpftime.Diagnostics.DiagnosticCodes;
using static Bpftime.Tests.Verification.VerifierKit;

namespace Bpftime.Tests.Verification;

/// <summary>
/// Loops the verifier proves by a fixpoint (widening at loop heads) instead of unrolling them, the
/// termination verdict it gives, and loops that stay refused because the fixpoint shows an unsafe access.
/// </summary>
public sealed class LoopVerificationTests(ITestOutputHelper output)
{
    /// <summary>A 2 MiB array value (the 1 MiB copy) and a 2 KiB one (256 u64 histogram buckets).</summary>
    private static readonly MapSpec Big = new("big", MapType.Array, 4, 2 << 20, 1);
    private static readonly MapSpec Buckets = new("buckets", MapType.Array, 4, 2048, 1);
    private static readonly IReadOnlyList<MapSpec> LoopMaps = [.. VerifierKit.Maps, Big, Buckets];

    private static readonly VerifierOptions MemLen = new() { ContextLengthInR2 = true };

    private VerificationResult Check(string source, VerifierOptions? options = null)
    {
        var result = BpfVerifier.Verify(Assemble(source), LoopMaps, options ?? new VerifierOptions { ContextSize = 64 });
        output.WriteLine(Explain(result) + $" termination proven: {result.TerminationProven} [{string.Join(",", result.UnprovenLoops)}]");
        return result;
    }

    /// <summary>
    /// Steps of 7 up to ten million, then the step past the bound indexes the 64-byte context: the
    /// counter leaves the loop at 10,000,000-10,000,006, a bound no constant of the program gives, and
    /// the loop is too long to unroll within the budget.
    /// </summary>
    internal const string StrideExit = """
        mov %r6, 0
        loop:
        jge %r6, 10000000, done
        add %r6, 7
        ja loop
        done:
        sub %r6, 10000000
        add %r1, %r6
        ldxb %r0, [%r1+57]
        exit
        """;

    /// <summary>Counts the primes below 10000 by trial division: two nested loops, no memory access.</summary>
    internal const string PrimeLoop = """
        mov %r0, 0
        mov %r6, 2
        outer:
        mov %r7, 2
        inner:
        mov %r8, %r7
        mul %r8, %r7
        jgt %r8, %r6, prime
        mov %r9, %r6
        mod %r9, %r7
        jeq %r9, 0, next
        add %r7, 1
        ja inner
        prime:
        add %r0, 1
        next:
        add %r6, 1
        jlt %r6, 10000, outer
        exit
        """;

    /// <summary>Copies the first MiB of a 2 MiB raw-memory context onto its second MiB, byte by byte.</summary>
    internal const string ContextCopy = """
        mov %r2, 0
        loop:
        mov %r3, %r1
        add %r3, %r2
        ldxb %r4, [%r3+0]
        mov %r5, %r1
        add %r5, 1048576
        add %r5, %r2
        stxb [%r5+0], %r4
        add %r2, 1
        jlt %r2, 1048576, loop
        mov %r0, 0
        exit
        """;

    /// <summary>The same copy inside a 2 MiB map value (map 7).</summary>
    internal const string MapValueCopy = """
        stw [%r10-4], 0
        mov %r2, %r10
        add %r2, -4
        ldmap %r1, 7
        call 1
        jeq %r0, 0, out
        mov %r2, 0
        loop:
        mov %r3, %r0
        add %r3, %r2
        ldxb %r4, [%r3+0]
        mov %r5, %r0
        add %r5, 1048576
        add %r5, %r2
        stxb [%r5+0], %r4
        add %r2, 1
        jlt %r2, 1048576, loop
        out:
        mov %r0, 0
        exit
        """;

    /// <summary>A byte histogram of the (mem, len) buffer into 256 u64 buckets of map 8; LOOPEXIT is the loop's guard.</summary>
    private const string HistogramTemplate = """
        mov %r6, %r1
        mov %r7, %r2
        stw [%r10-4], 0
        mov %r2, %r10
        add %r2, -4
        ldmap %r1, 8
        call 1
        jeq %r0, 0, out
        mov %r8, 0
        loop:
        LOOPEXIT
        mov %r3, %r6
        add %r3, %r8
        ldxb %r4, [%r3+0]
        lsh %r4, 3
        mov %r5, %r0
        add %r5, %r4
        ldxdw %r9, [%r5+0]
        add %r9, 1
        stxdw [%r5+0], %r9
        add %r8, 1
        ja loop
        out:
        mov %r0, 0
        exit
        """;

    internal static readonly string Histogram = HistogramTemplate.Replace("LOOPEXIT", "jge %r8, %r7, out", StringComparison.Ordinal);

    /// <summary>Thirteen instructions that never end: the counter goes up and down again.</summary>
    internal const string EndlessLoop = """
        mov %r0, 0
        mov %r4, 0
        mov %r1, 0
        mov %r2, 0
        loop:
        add %r1, 1
        add %r2, 2
        sub %r1, 1
        sub %r2, 2
        mov %r3, %r1
        add %r3, %r2
        jeq %r3, 0, loop
        mov %r0, 1
        exit
        """;

    [Fact]
    public void PrimeCountingLoopsVerify()
    {
        var result = Check(PrimeLoop);
        AssertPasses(result);
        Assert.True(result.Statistics.InstructionsProcessed < 20_000, result.Statistics.ToString());
    }

    [Fact]
    public void MebibyteCopyOnARawContextVerifiesAndIsProvenToEnd()
    {
        var result = Check(ContextCopy, new VerifierOptions { ContextSize = 2 << 20 });
        AssertPasses(result);
        Assert.True(result.TerminationProven);
        Assert.True(result.Statistics.InstructionsProcessed < 20_000, result.Statistics.ToString());
    }

    [Fact]
    public void MebibyteCopyInAMapValueVerifies()
    {
        var result = Check(MapValueCopy);
        AssertPasses(result);
        Assert.True(result.TerminationProven);
    }

    [Fact]
    public void CopyOnePastTheEndOfTheContextIsRefused()
    {
        // The same copy into a context one byte too small for the last store.
        AssertRefused(Check(ContextCopy, new VerifierOptions { ContextSize = (2 << 20) - 1 }), VerifierInvalidContextAccess, 7);
    }

    [Fact]
    public void HistogramOverTheMemLenBufferVerifies()
    {
        var result = Check(Histogram, MemLen);
        AssertPasses(result);
        Assert.True(result.TerminationProven);
    }

    [Fact]
    public void HistogramWithLessOrEqualReadsOnePastTheEnd()
    {
        // while (i <= len): the last read is mem[len].
        var result = Check(HistogramTemplate.Replace("LOOPEXIT", "jgt %r8, %r7, out", StringComparison.Ordinal), MemLen);
        AssertRefused(result, VerifierInvalidContextAccess, 13);
    }

    [Fact]
    public void HistogramWithoutTheLengthContractIsRefused()
    {
        // Without ContextLengthInR2, r2 says nothing about the 64-byte context.
        // Widened, the index is unbounded at the add; unrolled (the fallback), the read at offset 64 fails.
        var result = Check(Histogram, new VerifierOptions { ContextSize = 64, VariableContextLength = true });
        AssertRefused(result, VerifierInvalidContextAccess, 13);
    }

    [Fact]
    public void BoundOverwrittenAfterTheComparisonIsRefused()
    {
        // if (i < len) { i = unknown; mem[i]; }
        var result = Check("""
            jlt %r2, 8, out
            ldxdw %r3, [%r1+0]
            mov %r4, 0
            jge %r4, %r2, out
            mov %r4, %r3
            and %r4, 0xffff
            add %r1, %r4
            ldxb %r0, [%r1+0]
            exit
            out:
            mov %r0, 0
            exit
            """, MemLen);
        AssertRefused(result, VerifierInvalidContextAccess, 7);
    }

    [Fact]
    public void LengthCheckedBeforeAConstantReadVerifies()
    {
        AssertPasses(Check("""
            jlt %r2, 8, out
            ldxdw %r0, [%r1+0]
            exit
            out:
            mov %r0, 0
            exit
            """, MemLen));
    }

    [Fact]
    public void ConstantReadWithoutALengthCheckIsRefused()
    {
        AssertRefused(Check("""
            jlt %r2, 7, out
            ldxdw %r0, [%r1+0]
            exit
            out:
            mov %r0, 0
            exit
            """, MemLen), VerifierInvalidContextAccess, 1);
    }

    [Fact]
    public void ThirtyTwoBitCompareOfAWideValueProvesNothing()
    {
        // (u32)x < (u32)len says nothing about x when x may exceed 2^32.
        var result = Check("""
            jlt %r2, 8, out
            ldxdw %r3, [%r1+0]
            jlt32 %r3, %r2, in
            ja out
            in:
            add %r1, %r3
            ldxb %r0, [%r1+0]
            exit
            out:
            mov %r0, 0
            exit
            """, MemLen);
        AssertRefused(result, VerifierInvalidContextAccess, 4);
    }

    [Fact]
    public void ThirtyTwoBitCompareOfA32BitValueIsABound()
    {
        AssertPasses(Check("""
            jlt %r2, 4, out
            ldxw %r3, [%r1+0]
            jlt32 %r3, %r2, in
            ja out
            in:
            add %r1, %r3
            ldxb %r0, [%r1+0]
            exit
            out:
            mov %r0, 0
            exit
            """, MemLen));
    }

    [Fact]
    public void SignedCompareWithANegativeValueIsNotABound()
    {
        // x = -8 + (low byte): (s64)x < len holds for the negative values too.
        var result = Check("""
            jlt %r2, 1, out
            ldxb %r3, [%r1+0]
            add %r3, -8
            jslt %r3, %r2, in
            ja out
            in:
            add %r1, %r3
            ldxb %r0, [%r1+0]
            exit
            out:
            mov %r0, 0
            exit
            """, MemLen);
        AssertRefused(result, VerifierInvalidContextAccess, 6);
    }

    [Fact]
    public void IndexPlusOneThatMayWrapIsNotABound()
    {
        // if (i + 1 <= len) mem[i & 0xffff]: i = 2^64 - 1 makes i + 1 zero, and reads mem[0xffff].
        var result = Check("""
            jlt %r2, 8, out
            ldxdw %r3, [%r1+0]
            mov %r4, %r3
            add %r4, 1
            jgt %r4, %r2, out
            and %r3, 0xffff
            add %r1, %r3
            ldxb %r0, [%r1+0]
            exit
            out:
            mov %r0, 0
            exit
            """, MemLen);
        AssertRefused(result, VerifierInvalidContextAccess, 7);
    }

    [Fact]
    public void AStateWithoutTheRelationIsNotCoveredByOneWithIt()
    {
        // Path A bounds x by len, path B does not; at the join, A's kept state must not cover B.
        var result = Check("""
            jlt %r2, 4, out
            ldxb %r3, [%r1+0]
            ldxb %r4, [%r1+1]
            jeq %r4, 0, b
            jge %r3, %r2, out
            ja join
            b:
            mov %r0, 0
            join:
            add %r1, %r3
            ldxb %r0, [%r1+0]
            exit
            out:
            mov %r0, 0
            exit
            """, MemLen);
        AssertRefused(result, VerifierInvalidContextAccess, 8);
    }

    [Fact]
    public void AShorterKnownLengthIsNotCoveredByALongerOne()
    {
        // Path A checks len >= 8, path B only len >= 4; both read 8 bytes after the join.
        var result = Check("""
            jset %r2, 1, b
            jlt %r2, 8, out
            ja join
            b:
            jlt %r2, 4, out
            join:
            ldxdw %r0, [%r1+0]
            exit
            out:
            mov %r0, 0
            exit
            """, MemLen);
        AssertRefused(result, VerifierInvalidContextAccess, 4);
    }

    [Fact]
    public void ARelationDoesNotSurviveAPartlyOverwrittenSpill()
    {
        // i < len is spilled, one byte of the slot is overwritten, and the slot is read back.
        var result = Check("""
            jlt %r2, 2, out
            ldxb %r3, [%r1+0]
            jge %r3, %r2, out
            stxdw [%r10-8], %r3
            stb [%r10-8], 7
            ldxdw %r3, [%r10-8]
            and %r3, 0xff
            add %r1, %r3
            ldxb %r0, [%r1+0]
            exit
            out:
            mov %r0, 0
            exit
            """, MemLen);
        AssertRefused(result, VerifierInvalidContextAccess, 8);
    }

    [Fact]
    public void ARelationSurvivesAWholeSpillAndFill()
    {
        var result = Check("""
            jlt %r2, 2, out
            ldxb %r3, [%r1+0]
            jge %r3, %r2, out
            stxdw [%r10-8], %r3
            mov %r3, 0
            ldxdw %r3, [%r10-8]
            add %r1, %r3
            ldxb %r0, [%r1+0]
            exit
            out:
            mov %r0, 0
            exit
            """, MemLen);
        AssertPasses(result);
    }

    [Fact]
    public void CounterBoundHeldInAnotherRegisterVerifies()
    {
        // n = ctx[0]; if (n > 48) return; for (i = 0; i < n; i++) value[i] = 0;
        var result = Check("""
            ldxw %r6, [%r1+0]
            jgt %r6, 48, out
            stw [%r10-4], 0
            mov %r2, %r10
            add %r2, -4
            ldmap %r1, 0
            call 1
            jeq %r0, 0, out
            mov %r2, 0
            loop:
            jge %r2, %r6, out
            mov %r3, %r0
            add %r3, %r2
            stb [%r3+0], 0
            add %r2, 1
            ja loop
            out:
            mov %r0, 0
            exit
            """);
        AssertPasses(result);
        Assert.True(result.TerminationProven);
    }

    [Fact]
    public void NestedConstantLoopsVerifyAndEnd()
    {
        // for (i = 0; i < 1000; i++) for (j = 0; j < 1000; j++) sum += ctx[j & 63];
        var result = Check("""
            mov %r0, 0
            mov %r6, 0
            outer:
            mov %r7, 0
            inner:
            mov %r3, %r7
            and %r3, 63
            mov %r4, %r1
            add %r4, %r3
            ldxb %r5, [%r4+0]
            add %r0, %r5
            add %r7, 1
            jlt %r7, 1000, inner
            add %r6, 1
            jlt %r6, 1000, outer
            exit
            """);
        AssertPasses(result);
        Assert.True(result.TerminationProven);
        Assert.True(result.Statistics.InstructionsProcessed < 20_000, result.Statistics.ToString());
    }

    [Fact]
    public void SmallConstantLoopsStayUnrolledAndProven()
    {
        // for (i = 0; i < 4; i++) ctx[i * 8] = i: each iteration keeps its exact index.
        var result = Check("""
            mov %r2, 0
            loop:
            mov %r3, %r2
            lsh %r3, 3
            mov %r4, %r1
            add %r4, %r3
            stxdw [%r4+0], %r2
            add %r2, 1
            jlt %r2, 4, loop
            mov %r0, 0
            exit
            """);
        AssertPasses(result);
        Assert.True(result.TerminationProven);
    }

    [Fact]
    public void A32BitCounterIsProvenToEnd()
    {
        // for (u32 i = 0; i < 100000; i++) sum += i, as compilers emit it with 32-bit arithmetic.
        var result = Check("""
            mov %r0, 0
            mov32 %r2, 0
            loop:
            add %r0, %r2
            add32 %r2, 1
            jlt32 %r2, 100000, loop
            exit
            """);
        AssertPasses(result);
        Assert.True(result.TerminationProven);
        Assert.True(result.Statistics.InstructionsProcessed < 5_000, result.Statistics.ToString());
    }

    [Fact]
    public void A32BitCounterThatWrapsForEverIsAnInfiniteLoop()
    {
        // for (u32 i = 1; i != 0; i += 2): odd, so never 0; wraps at 2^32 for ever. Widening keeps the
        // known low bit, so the exit test can never hold: no path leaves the loop.
        var result = Check("""
            mov %r0, 0
            mov32 %r2, 1
            loop:
            add32 %r2, 2
            jne32 %r2, 0, loop
            exit
            """);
        AssertRefused(result, VerifierInfiniteLoop, 2);
    }

    [Fact]
    public void APathThatResetsTheCounterKeepsTheLoopUnproven()
    {
        // i += 1 on one branch, i = (x & 63) + 1 on the other, joined before the test i < 100: when x is
        // odd the loop never ends, so the counting branch alone must not prove it.
        var result = Check("""
            ldxb %r6, [%r1+0]
            mov %r0, 0
            mov %r2, 0
            loop:
            mov %r4, 1
            mov %r5, 2
            mov %r7, 3
            mov %r8, 4
            mov %r3, %r6
            and %r3, 1
            jne %r3, 0, b
            add %r2, 1
            ja join
            b:
            mov %r2, %r6
            and %r2, 63
            add %r2, 1
            join:
            jlt %r2, 100, loop
            exit
            """);
        AssertPasses(result);
        Assert.False(result.TerminationProven);
    }

    /// <summary>while (x != 0) x = x * 5 + 3: nothing bounds the number of iterations.</summary>
    private const string UnboundedLoop = """
        ldxdw %r2, [%r1+0]
        mov %r0, 0
        loop:
        jeq %r2, 0, out
        mul %r2, 5
        add %r2, 3
        add %r0, 1
        ja loop
        out:
        exit
        """;

    [Fact]
    public void LoopWhoseEndCannotBeProvenPassesWithoutTheTerminationVerdict()
    {
        var result = Check(UnboundedLoop);
        AssertPasses(result);
        Assert.False(result.TerminationProven);
        Assert.Equal([2], result.UnprovenLoops);
    }

    [Fact]
    public void LoopWhoseEndCannotBeProvenIsRefusedWhenTerminationIsRequired()
    {
        var result = Check(UnboundedLoop, new VerifierOptions { ContextSize = 64, RequireTermination = true });
        var diagnostic = AssertRefused(result, VerifierTerminationNotProven, 2);
        Assert.Contains("loop", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ProgramsWithoutLoopsAreProvenToEnd()
    {
        var result = Check("mov %r0, 0\nexit");
        AssertPasses(result);
        Assert.True(result.TerminationProven);
        Assert.Empty(result.UnprovenLoops);
    }

    [Fact]
    public void IndexWidenedPastTheArrayEndIsRefused()
    {
        // for (i = 0; i < 49; i++) value[i] = 0 on a 48-byte value.
        var result = Check("""
            stw [%r10-4], 0
            mov %r2, %r10
            add %r2, -4
            ldmap %r1, 0
            call 1
            jeq %r0, 0, out
            mov %r2, 0
            loop:
            mov %r3, %r0
            add %r3, %r2
            stb [%r3+0], 0
            add %r2, 1
            jlt %r2, 49, loop
            out:
            mov %r0, 0
            exit
            """);
        AssertRefused(result, VerifierMapValueOutOfBounds, 10);
    }

    [Fact]
    public void IndexDecrementedBelowZeroIsRefused()
    {
        // for (i = 47; i >= -1; i--) value[i] = 0: the last store is value[-1].
        var result = Check("""
            stw [%r10-4], 0
            mov %r2, %r10
            add %r2, -4
            ldmap %r1, 0
            call 1
            jeq %r0, 0, out
            mov %r2, 47
            loop:
            mov %r3, %r0
            add %r3, %r2
            stb [%r3+0], 0
            sub %r2, 1
            jsge %r2, -1, loop
            out:
            mov %r0, 0
            exit
            """);
        AssertRefused(result, VerifierMapValueOutOfBounds, 10);
    }

    [Fact]
    public void PointerMovedOnEveryIterationPastTheEndIsRefused()
    {
        // p = value; for (i = 0; i < 100; i++) *p++ = 0; on a 48-byte value.
        var result = Check("""
            stw [%r10-4], 0
            mov %r2, %r10
            add %r2, -4
            ldmap %r1, 0
            call 1
            jeq %r0, 0, out
            mov %r2, 0
            loop:
            stb [%r0+0], 0
            add %r0, 1
            add %r2, 1
            jlt %r2, 100, loop
            out:
            mov %r0, 0
            exit
            """);
        AssertRefused(result, VerifierMapValueOutOfBounds, 8);
    }

    [Fact]
    public void EndlessLoopIsRefusedQuickly()
    {
        var result = Check(EndlessLoop);
        Assert.False(result.Passed);
        Assert.True(result.Statistics.InstructionsProcessed < 10_000, result.Statistics.ToString());
    }

    [Fact]
    public void EndlessLoopWithAChangingCounterIsRefusedAsInfinite()
    {
        // for (i = 1; i != 0; i += 2): i is odd and never 0 (wraps around forever). Widening keeps i's
        // known low bit, so no path leaves the loop: refused whatever the termination policy.
        const string source = "mov %r0, 0\nmov %r2, 1\nloop:\nadd %r2, 2\njne %r2, 0, loop\nexit";
        AssertRefused(Check(source), VerifierInfiniteLoop, 2);
        AssertRefused(Check(source, new VerifierOptions { ContextSize = 64, RequireTermination = true }), VerifierInfiniteLoop, 2);
    }

    [Fact]
    public void ACounterSteppingByEightStopsAtItsInequalityExit()
    {
        // for (i = 0; i != 1048576; i += 8) mem[1 MiB + i .. +8) = 0 on a 2 MiB context: the exit is an
        // inequality, so only the counter's known low bits keep the widened i from passing 1 MiB - 8.
        var result = Check("""
            mov %r2, 0
            loop:
            mov %r0, %r1
            add %r0, %r2
            add %r0, 1048576
            stdw [%r0+0], 0
            add %r2, 8
            jeq %r2, 1048576, done
            ja loop
            done:
            mov %r0, 0
            exit
            """, new VerifierOptions { ContextSize = 2 << 20 });
        AssertPasses(result);
        Assert.True(result.TerminationProven);
        // One step further is one word past the end.
        var past = Check("""
            mov %r2, 0
            loop:
            mov %r0, %r1
            add %r0, %r2
            add %r0, 1048584
            stdw [%r0+0], 0
            add %r2, 8
            jeq %r2, 1048576, done
            ja loop
            done:
            mov %r0, 0
            exit
            """, new VerifierOptions { ContextSize = 2 << 20 });
        Assert.False(past.Passed);
    }

    [Fact]
    public void ARegisterOfDifferentKindsAroundALoopIsNotReadable()
    {
        // r6 is a stack pointer until i reaches 60000, then a number, and is read through at the top of
        // every iteration. Unrolled, 60000 iterations exceed the budget; widened, r6 has no single type.
        var result = Check("""
            stdw [%r10-8], 0
            mov %r6, %r10
            mov %r2, 0
            loop:
            ldxdw %r0, [%r6-8]
            jne %r2, 60000, next
            mov %r6, 0
            next:
            add %r2, 1
            jlt %r2, 100000, loop
            mov %r0, 0
            exit
            """, new VerifierOptions { ContextSize = 64, MaxProcessedInstructions = 50_000 });
        var diagnostic = AssertRefused(result, VerifierUninitializedRegister, 3);
        Assert.Contains("different kinds of value", diagnostic.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Maps.TestEngines.Names), MemberType = typeof(Maps.TestEngines))]
    public void AWidenedCopyLoopRunsVerifiedOnEveryEngine(string engine)
    {
        // for (i = 0; i < 200; i++) ctx[200 + i] = ctx[i] + 1; widened after 16 iterations, run without checks.
        var code = Assemble("""
            mov %r2, 0
            loop:
            mov %r3, %r1
            add %r3, %r2
            ldxb %r4, [%r3+0]
            add %r4, 1
            stxb [%r3+200], %r4
            add %r2, 1
            jlt %r2, 200, loop
            mov %r0, %r2
            exit
            """);
        var result = BpfVerifier.Verify(code, [], new VerifierOptions { ContextSize = 400 });
        AssertPasses(result);
        Assert.True(result.TerminationProven);
        var image = new ProgramImage("copy", code, new HelperTable("none")).WithVerification(result);
        Assert.True(image.Verified);
        using var executable = Maps.TestEngines.All.Single(e => e.Name == engine).Load(image, EngineOptions.Default);
        var context = new byte[400];
        for (var i = 0; i < 200; i++)
        {
            context[i] = (byte)(3 * i);
        }
        Assert.Equal(200UL, executable.Run(context));
        for (var i = 0; i < 200; i++)
        {
            Assert.Equal((byte)(3 * i + 1), context[200 + i]);
        }
    }
    [Fact]
    public void NarrowingRecoversTheExitBoundOfALoopThatWideningMovesToTheEndOfTheType()
    {
        var narrowed = Check(StrideExit);
        AssertPasses(narrowed);
        Assert.True(narrowed.TerminationProven);

        // Widening alone: the counter's bound jumps past 10,000,006 to the end of the type, and the loop
        // is too long to unroll (1.4 million trips), so the program cannot be proven.
        var widenedOnly = Check(StrideExit, new VerifierOptions { ContextSize = 64, NarrowLoops = false });
        Assert.False(widenedOnly.Passed);
    }

    [Fact]
    public void NarrowingKeepsTheOffByOneIndexAfterTheLoopRefused()
    {
        // The same loop, then byte 58 + (0..6) of a 64-byte context: the last step reads byte 64.
        var result = Check(StrideExit.Replace("[%r1+57]", "[%r1+58]", StringComparison.Ordinal));
        AssertRefused(result, VerifierInvalidContextAccess, 6);
    }
}
