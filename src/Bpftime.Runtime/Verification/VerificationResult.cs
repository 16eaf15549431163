using Bpftime.Diagnostics;

namespace Bpftime.Verification;

/// <summary>
/// The verdict on one program: whether every path is safe, the findings (errors with the broken rule,
/// the register state and the C source line; warnings), the work it took, the stack each function
/// needs, and the context loads engines must rewrite into packet pointers.
/// </summary>
public sealed record VerificationResult(
    string Program,
    bool Passed,
    IReadOnlyList<BpfDiagnostic> Diagnostics,
    VerificationStatistics Statistics)
{
    /// <summary>The deepest stack any single frame uses, in bytes (what an engine must give each frame).</summary>
    public int MaxStackDepth { get; init; }

    /// <summary>The deepest stack of a whole call chain, each frame rounded up to 8 bytes.</summary>
    public int CombinedStackDepth { get; init; }

    /// <summary>Stack bytes each function uses, by the index of its first instruction.</summary>
    public IReadOnlyDictionary<int, int> FunctionStackDepths { get; init; } = new Dictionary<int, int>();

    /// <summary>The context the proof assumed r1 points at (null for results made without one).</summary>
    public ContextLayout? Context { get; init; }

    /// <summary>Instructions that load data, data_end or data_meta from the context.</summary>
    public IReadOnlyList<ContextRewrite> ContextRewrites { get; init; } = [];

    /// <summary>
    /// True when every loop of the program was proven to end. A passed program with this false is
    /// memory-safe but may run on; engines count its back-edges against the execution budget.
    /// </summary>
    public bool TerminationProven { get; init; } = true;

    /// <summary>The loop heads (instruction indexes) whose termination was not proven.</summary>
    public IReadOnlyList<int> UnprovenLoops { get; init; } = [];

    /// <summary>The errors alone.</summary>
    public IEnumerable<BpfDiagnostic> Errors => Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error);

    /// <summary>Throws a <see cref="BpfException"/> with the errors when the program did not pass.</summary>
    public void EnsurePassed()
    {
        if (!Passed)
        {
            throw new BpfException([.. Errors]);
        }
    }

    public override string ToString() => $"{Program}: {(Passed ? "safe" : "refused")} ({Statistics})";
}
