namespace Bpftime.Verification;

/// <summary>The argument is the program's context pointer, unmoved (or 0, with <paramref name="OrNull"/>).</summary>
internal sealed record ContextArgument(int Register, string Role, bool OrNull) : HelperArgumentAssertion(Register, Role);
