namespace Bpftime.Verification;

/// <summary>
/// What r0 may hold at exit: a number when the program returns (a pointer would leak an address), no
/// pointer into the returning function's own stack, and 0 or 1 when a callback returns.
/// </summary>
internal sealed record ReturnValueKind : Assertion;
