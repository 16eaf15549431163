namespace Bpftime.Verification;

/// <summary>An atomic operation's address points at the stack, a map value or a ring-buffer record (or is a nullable pointer, refused by the access).</summary>
internal sealed record AtomicTarget(int Register) : Assertion;
