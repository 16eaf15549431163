namespace Bpftime.Verification;

/// <summary>An untyped argument of a host helper, which may use it as a pointer and write through it: read-only data must not reach it while its bytes are folded as constants.</summary>
internal sealed record HostArgument(int Register, string Role) : HelperArgumentAssertion(Register, Role);
