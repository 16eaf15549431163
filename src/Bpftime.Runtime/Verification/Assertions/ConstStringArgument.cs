namespace Bpftime.Verification;

/// <summary>The argument points at a NUL-terminated string in read-only data, at a constant offset.</summary>
internal sealed record ConstStringArgument(int Register, string Role) : HelperArgumentAssertion(Register, Role);
