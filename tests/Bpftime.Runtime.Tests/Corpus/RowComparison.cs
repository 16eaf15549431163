namespace Bpftime.Tests.Corpus;

/// <summary>One PREVAIL row beside our results for the same program(s).</summary>
public sealed record RowComparison(PrevailRow Row, IReadOnlyList<CorpusProgramResult> Ours)
{
    /// <summary>We prove it: every program the row names is accepted (and there is at least one).</summary>
    public bool WeAccept => Ours.Count > 0 && Ours.All(r => r.Passed);

    public bool PrevailAccepts => Row.Verdict is PrevailVerdict.Accepted or PrevailVerdict.FailsShouldReject;

    /// <summary>Our first refusal among the row's programs, or null when we accept or found no program.</summary>
    public CorpusProgramResult? FirstRefusal => Ours.FirstOrDefault(r => !r.Passed);

    /// <summary>Why we refuse, for the report.</summary>
    public string Cause => FirstRefusal?.Cause ?? (Ours.Count == 0 ? "no such program in our reading of the object" : "accepted");

    /// <summary>The first error code of our refusal ("missing" when no program matched).</summary>
    public string CauseCode => FirstRefusal is { } refusal
        ? refusal.Outcome == CorpusOutcome.TimedOut ? "time cap" : refusal.FirstError?.Code ?? refusal.Outcome.ToString()
        : Ours.Count == 0 ? "missing" : "-";
}
