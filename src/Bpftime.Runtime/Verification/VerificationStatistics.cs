namespace Bpftime.Verification;

/// <summary>How much work proving a program took.</summary>
public sealed record VerificationStatistics(
    int InstructionsProcessed,
    int StatesExplored,
    int StatesPruned,
    int PeakStates,
    TimeSpan Elapsed)
{
    /// <summary>Bytes the verifier allocated while proving the program (its memory cost; most is short-lived).</summary>
    public long AllocatedBytes { get; init; }

    public override string ToString() =>
        $"{InstructionsProcessed} insns processed, {StatesExplored} states explored, {StatesPruned} pruned, peak {PeakStates} stored, {Elapsed.TotalMilliseconds:0.###} ms";
}
