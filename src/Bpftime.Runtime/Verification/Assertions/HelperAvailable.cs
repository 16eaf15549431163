using Bpftime.Helpers;

namespace Bpftime.Verification;

/// <summary>
/// The called helper is one the verifier knows and the host's helper table provides (and grants), and,
/// for a Linux helper, one Linux offers to the program's type whose result the verifier can track.
/// <paramref name="Rule"/> is the rule the call is checked by; null when there is none.
/// </summary>
internal sealed record HelperAvailable(int Id, HelperRule? Rule) : Assertion;
