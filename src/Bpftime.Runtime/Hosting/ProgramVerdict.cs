using Bpftime.Verification;

namespace Bpftime.Hosting;

/// <summary>
/// Whether a loaded program runs unchecked, the verifier's result when it ran at load, and the
/// context bytes it was proved safe for (0: XDP frames, or a program that never touches r1).
/// </summary>
internal sealed record ProgramVerdict(bool IsVerified, VerificationResult? Result, int RequiredContextSize)
{
    public static ProgramVerdict Unverified { get; } = new(false, null, 0);
}
