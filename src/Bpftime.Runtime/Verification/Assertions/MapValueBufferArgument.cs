namespace Bpftime.Verification;

/// <summary>The argument points at writable memory of the map argument's value size, which the helper fills (map_pop_elem, map_peek_elem).</summary>
internal sealed record MapValueBufferArgument(int Register, string Role) : HelperArgumentAssertion(Register, Role);
