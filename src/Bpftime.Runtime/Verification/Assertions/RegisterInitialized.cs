namespace Bpftime.Verification;

/// <summary>The instruction reads <paramref name="Register"/> as <paramref name="Role"/>: it must have been written on every path.</summary>
internal sealed record RegisterInitialized(int Register, string Role) : Assertion;
