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

    /// <summary>States kept at prune points over the whole run (each a copy of a path's state).</summary>
    public int StatesKept { get; init; }

    /// <summary>Paths joined with a kept state at a merge point instead of being explored apart.</summary>
    public int StatesJoined { get; init; }

    /// <summary>About the most memory the states held at once took, in bytes (kept and waiting states, at their size when the peak was reached).</summary>
    public long PeakStateBytes { get; init; }

    public override string ToString() =>
        $"{InstructionsProcessed} insns processed, {StatesExplored} states explored, {StatesPruned} pruned, peak {PeakStates} stored, {Elapsed.TotalMilliseconds:0.###} ms";
}
