namespace Bpftime.Tests.Corpus;

/// <summary>What became of one program (or of a whole object that could not be read).</summary>
public enum CorpusOutcome
{
    /// <summary>The verifier proved the program safe.</summary>
    Accepted,

    /// <summary>The verifier refused the program (its first error says why).</summary>
    Refused,

    /// <summary>Verification hit the per-program time cap: a refusal, reported apart.</summary>
    TimedOut,

    /// <summary>The object reader refused the object, so none of its programs could be verified.</summary>
    ObjectUnreadable,

    /// <summary>The reader or the verifier failed on its own (an exception, BPF1026 or BPF2099): a defect.</summary>
    Crashed,
}
