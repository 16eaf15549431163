namespace Bpftime.Verification;

/// <summary>At exit, r0 holds a value when the program or a callback returns (a void subprogram may leave it unset).</summary>
internal sealed record ReturnValueSet : Assertion;
