namespace Bpftime.Verification;

/// <summary>A helper argument must have been written; <paramref name="Expected"/> says what the prototype wants there.</summary>
internal sealed record ArgumentInitialized(int Register, string Role, string Expected) : HelperArgumentAssertion(Register, Role);
