using Bpftime.Verification;

namespace Bpftime.Engines;

/// <summary>Hands a verdict to the engines: how hosting and the build mark a program verified.</summary>
public static class ProgramImageVerification
{
    /// <summary>
    /// The image marked <see cref="ProgramImage.Verified"/> (engines may then drop run-time memory
    /// checks) with the stack each frame needs, when <paramref name="result"/> passed; unchanged otherwise.
    /// A program whose loops were not all proven to end keeps <see cref="ProgramImage.TerminationProven"/>
    /// false, so engines still count its back-edges against the execution budget.
    /// A proof against one of Linux's context structs other than xdp_md (__sk_buff, pt_regs, ...) is
    /// not enough: the program would run on memory the proof did not describe; it stays checked. The
    /// one exception is __sk_buff for an image that runs on a socket buffer the host builds
    /// (<see cref="ProgramImage.SocketBuffer"/>), which is that struct.
    /// </summary>
    public static ProgramImage WithVerification(this ProgramImage image, VerificationResult result)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(result);
        if (!result.Passed || (result.Context is { LinuxAccessRules: true } && !(image.SocketBuffer && result.Context.Name == SocketBufferLayout.StructName)))
        {
            return image;
        }
        var stack = Math.Max(8, (result.MaxStackDepth + 7) & ~7);
        return image with { Verified = true, TerminationProven = result.TerminationProven, StackSize = Math.Min(image.StackSize, stack) };
    }
}
