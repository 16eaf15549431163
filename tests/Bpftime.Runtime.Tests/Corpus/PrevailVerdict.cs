namespace Bpftime.Tests.Corpus;

/// <summary>What PREVAIL's own test list says of a section: proved, rightly refused, or a failure of PREVAIL's.</summary>
public enum PrevailVerdict
{
    /// <summary>Proved safe.</summary>
    Accepted,

    /// <summary>Rightly refused: the program is unsafe.</summary>
    Rejected,

    /// <summary>A false positive: the program is safe but PREVAIL refuses it.</summary>
    FailsShouldPass,

    /// <summary>A false negative: the program is unsafe but PREVAIL accepts it.</summary>
    FailsShouldReject,
}
