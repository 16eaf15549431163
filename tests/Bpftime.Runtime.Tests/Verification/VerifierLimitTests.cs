using System.Globalization;
using Bpftime.Diagnostics;
using Bpftime.Verification;
using Xunit.Abstractions;

namespace Bpftime.Tests.Verification;

/// <summary>
/// Programs too complex to prove stop at a limit with a clear error, and the work done up to there is
/// bounded (asserted on the statistics, not the wall clock).
/// </summary>
public sealed class VerifierLimitTests(ITestOutputHelper output)
{
    /// <summary>Loops whose counters never reach a bound the verifier can see within its budget.</summary>
    public static TheoryData<string, string> EndlessCounters() => new()
    {
        { "counter-wraps", "mov %r0, 0\nmov %r1, 0\nloop:\nadd %r1, 1\njne %r1, 0, loop\nexit" },
        { "two-counters", "mov %r0, 0\nmov %r1, 0\nmov %r2, 0\nloop:\nadd %r1, 1\nadd %r2, 3\njne %r1, 0, loop\njne %r2, 7, loop\nexit" },
        { "bound-from-input", "ldxw %r2, [%r1+0]\nmov %r0, 0\nmov %r3, 0\nloop:\nadd %r3, 1\njlt %r3, %r2, loop\nexit" },
        {
            "counter-on-the-stack",
            "mov %r0, 0\nstdw [%r10-8], 0\nloop:\nldxdw %r1, [%r10-8]\nadd %r1, 1\nstxdw [%r10-8], %r1\njne %r1, 0, loop\nexit"
        },
    };

    [Theory]
    [MemberData(nameof(EndlessCounters))]
    public void AnEndlessCounterStopsAtTheBudgetHoldingFewStates(string name, string source)
    {
        // A fifth of the default budget keeps the test short; the default fails the same way, later.
        // Unrolled, as without widening (by default these are widened, and pass with termination unproven).
        var options = new VerifierOptions { ContextSize = 64, MaxTime = null, MaxProcessedInstructions = 200_000, LoopUnrollLimit = int.MaxValue };
        var result = BpfVerifier.Verify(VerifierKit.Assemble(source), VerifierKit.Maps, options, name: name);
        output.WriteLine(VerifierKit.Explain(result));
        Assert.False(result.Passed);
        Assert.Equal(DiagnosticCodes.VerifierTooComplex, result.Diagnostics[0].Code);
        Assert.True(result.Statistics.InstructionsProcessed <= options.MaxProcessedInstructions + 1, result.Statistics.ToString());
        // A state is kept at most every few instructions and at most 64 per instruction: memory stays small.
        Assert.True(result.Statistics.PeakStates <= 3 * 64, result.Statistics.ToString());
    }

    [Theory]
    [MemberData(nameof(EndlessCounters))]
    public void AnEndlessCounterIsWidenedAndLeftToTheExecutionBudget(string name, string source)
    {
        var result = BpfVerifier.Verify(VerifierKit.Assemble(source), VerifierKit.Maps, new VerifierOptions { ContextSize = 64 }, name: name);
        output.WriteLine(VerifierKit.Explain(result));
        VerifierKit.AssertPasses(result);
        Assert.False(result.TerminationProven);
        Assert.NotEmpty(result.UnprovenLoops);
        Assert.True(result.Statistics.InstructionsProcessed < 5_000, result.Statistics.ToString());
        var strict = BpfVerifier.Verify(VerifierKit.Assemble(source), VerifierKit.Maps, new VerifierOptions { ContextSize = 64, RequireTermination = true, MaxProcessedInstructions = 200_000 }, name: name);
        Assert.Equal(DiagnosticCodes.VerifierTerminationNotProven, strict.Diagnostics[0].Code);
    }

    [Fact]
    public void TooManyStatesHeldAtOnceStopsVerification()
    {
        // Eight independent branches on input, each writing a different stack slot: the paths do not
        // cover each other, so states pile up.
        var source = new System.Text.StringBuilder("mov %r6, %r1\nmov %r0, 0\n");
        for (var i = 0; i < 8; i++)
        {
            source.Append(CultureInfo.InvariantCulture, $"ldxb %r2, [%r6+{i}]\njeq %r2, 0, skip{i}\nstdw [%r10-{8 * (i + 1)}], {i}\nskip{i}:\n");
        }
        source.Append("exit");
        var options = new VerifierOptions { ContextSize = 64, MaxStates = 20 };
        var result = BpfVerifier.Verify(VerifierKit.Assemble(source.ToString()), VerifierKit.Maps, options, name: "branchy");
        output.WriteLine(VerifierKit.Explain(result));
        VerifierKit.AssertRefused(result, DiagnosticCodes.VerifierResourceLimit, result.Diagnostics[0].InstructionIndex ?? -1);
        Assert.Contains("verification of branchy stopped after", result.Diagnostics[0].Message, StringComparison.Ordinal);
        Assert.Contains("states held", result.Diagnostics[0].Message, StringComparison.Ordinal);
        Assert.True(result.Statistics.PeakStates <= options.MaxStates + 1, result.Statistics.ToString());
        // The same program passes with the default limit.
        VerifierKit.AssertPasses(BpfVerifier.Verify(VerifierKit.Assemble(source.ToString()), VerifierKit.Maps, new VerifierOptions { ContextSize = 64 }));
    }

    [Fact]
    public void TheTimeLimitStopsVerification()
    {
        // A zero time limit is passed at the first check (every 1024 instructions).
        var options = new VerifierOptions { ContextSize = 64, MaxTime = TimeSpan.Zero, LoopUnrollLimit = int.MaxValue };
        var result = BpfVerifier.Verify(VerifierKit.Assemble("mov %r0, 0\nmov %r1, 0\nloop:\nadd %r1, 1\njne %r1, 0, loop\nexit"), VerifierKit.Maps, options, name: "slow");
        output.WriteLine(VerifierKit.Explain(result));
        Assert.False(result.Passed);
        Assert.Equal(DiagnosticCodes.VerifierResourceLimit, result.Diagnostics[0].Code);
        Assert.Contains("verification of slow stopped after", result.Diagnostics[0].Message, StringComparison.Ordinal);
        Assert.True(result.Statistics.InstructionsProcessed <= 1024, result.Statistics.ToString());
    }

    [Fact]
    public void TheDefaultsBoundTimeAndMemory()
    {
        var defaults = VerifierOptions.Default;
        Assert.Equal(1_000_000, defaults.MaxProcessedInstructions);
        Assert.Null(defaults.MaxTime); // verdicts must not depend on the machine's load
        Assert.True(defaults.MaxStates is > 1000 and <= 20_000);
    }
}
