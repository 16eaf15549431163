namespace Bpftime.Verification;

/// <summary>No spin lock is held when the program, a subprogram or a callback returns.</summary>
internal sealed record LockReleasedAtExit : Assertion;
