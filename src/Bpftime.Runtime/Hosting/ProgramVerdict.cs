using Bpftime.Verification;

namespace Bpftime.Hosting;

/// <summary>
/// Whether a loaded program runs unchecked and why (proved by a verifier, or trusted unchecked by
/// the user who built its native code), the verifier's result when it ran at load, and the context
/// the program was loaded for (its kind, and the bytes it may read).
/// </summary>
/// <remarks>A class, not a record: nothing compares verdicts or copies one, and a record loads its <c>IEquatable</c> as well at every load.</remarks>
internal sealed class ProgramVerdict(bool isVerified, VerificationResult? result, ProgramContext context)
{
    public bool IsVerified { get; } = isVerified;

    public VerificationResult? Result { get; } = result;

    public ProgramContext Context { get; } = context;

    /// <summary>Native code compiled without run-time checks that no verifier proved: the user's word stands for the proof.</summary>
    public bool IsTrustedUnchecked { get; init; }

    /// <summary>A verified program whose every loop the verifier proved to end (it then runs without the budget counter).</summary>
    public bool TerminationProven { get; init; }

    /// <summary>Whether the code runs without run-time memory checks, so every context rule must hold before it runs.</summary>
    public bool RunsUnchecked => IsVerified || IsTrustedUnchecked;
}
