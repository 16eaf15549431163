namespace Bpftime.Verification;

/// <summary>
/// A legacy packet load (ld_abs, ld_ind) may end the program: it is allowed only in a socket filter or tc
/// program, in the program's own frame, with no spin lock or ring-buffer record held.
/// </summary>
internal sealed record LegacyPacketLoadAllowed : Assertion;
