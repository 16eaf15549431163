namespace Bpftime.Verification;

/// <summary>The argument is a number, not a pointer (plain scalars and sizes, whose bounds the memory argument before them checks).</summary>
internal sealed record ScalarArgument(int Register, string Role) : HelperArgumentAssertion(Register, Role);
