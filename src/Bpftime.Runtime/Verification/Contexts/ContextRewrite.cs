namespace Bpftime.Verification;

/// <summary>
/// A load of a packet-pointer field from the context: engines rewrite the instruction at
/// <see cref="InstructionIndex"/> so that it yields a real pointer of kind <see cref="Kind"/>.
/// </summary>
public sealed record ContextRewrite(int InstructionIndex, ContextFieldKind Kind, int ContextOffset);
