namespace Bpftime.Verification;

/// <summary>No ring-buffer record is held across the instruction (a tail call, which would leak it).</summary>
internal sealed record NoHeldReferences : Assertion;
