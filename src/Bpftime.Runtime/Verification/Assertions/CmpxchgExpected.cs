namespace Bpftime.Verification;

/// <summary>cmpxchg's expected value, r0, is initialised and a number.</summary>
internal sealed record CmpxchgExpected : Assertion;
