namespace Bpftime.Verification;

/// <summary>
/// probe_read and kin copy from their third argument: when it is the stack, the bytes copied (as many as
/// the size in r2) must be initialised data, not spilled pointers, since the copy can be read back as numbers.
/// </summary>
internal sealed record CopySourceArgument(int Register, string Role) : HelperArgumentAssertion(Register, Role);
