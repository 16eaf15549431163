namespace Bpftime.Verification;

/// <summary>No ring-buffer record outlives its owner: none held when the program returns, none a callback reserved when it returns.</summary>
internal sealed record ReferencesReleasedAtExit : Assertion;
