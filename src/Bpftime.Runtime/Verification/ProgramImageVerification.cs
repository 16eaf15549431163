using Bpftime.Engines;

namespace Bpftime.Verification;

/// <summary>Hands a verdict to the engines: how hosting and the build mark a program verified.</summary>
public static class ProgramImageVerification
{
    /// <summary>
    /// The image marked <see cref="ProgramImage.Verified"/> (engines may then drop run-time memory
    /// checks) with the stack each frame needs, when <paramref name="result"/> passed and every loop was
    /// proven to end; unchanged otherwise.
    /// </summary>
    public static ProgramImage WithVerification(this ProgramImage image, VerificationResult result)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(result);
        if (!result.Passed || !result.TerminationProven)
        {
            // A loop not proven to end must pay the execution budget; engines count it only for
            // unverified images, so such a program (memory-safe as it is) runs checked.
            return image;
        }
        var stack = Math.Max(8, (result.MaxStackDepth + 7) & ~7);
        return image with { Verified = true, TerminationProven = result.TerminationProven, StackSize = Math.Min(image.StackSize, stack) };
    }
}
