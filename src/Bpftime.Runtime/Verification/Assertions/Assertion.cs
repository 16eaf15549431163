namespace Bpftime.Verification;

/// <summary>
/// Something that must hold in the abstract state before an instruction runs: "R2 is initialised",
/// "R1 is a map pointer", "R2 points at readable memory of R3 bytes". <see cref="AssertionExtractor"/>
/// derives them once per instruction from its opcode and (for helper calls) the helper's prototype;
/// the analyzer checks them against each state reaching the instruction (<c>Analyzer.Check</c>, one
/// overload per kind in <c>Assertions/Checks/</c>), in order, before the transfer function runs. The
/// first that fails is the diagnostic.
/// </summary>
internal abstract record Assertion;

/// <summary>An assertion about one argument register of a helper call.</summary>
/// <param name="Register">The argument's register (r1-r5).</param>
/// <param name="Role">How diagnostics name it: "argument 2 of map_lookup_elem".</param>
internal abstract record HelperArgumentAssertion(int Register, string Role) : Assertion;
