namespace Bpftime.Verification;

/// <summary>
/// The argument is a map (&amp;map from ld_imm64) of a type the helper accepts, not read-only when the
/// helper changes the map. It fixes the map later key and value arguments are sized by.
/// </summary>
internal sealed record MapPointerArgument(int Register, string Role) : HelperArgumentAssertion(Register, Role);
