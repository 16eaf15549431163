namespace Bpftime.Verification;

/// <summary>The operand of an atomic operation is a number, not a pointer.</summary>
internal sealed record AtomicOperand(int Register) : Assertion;
