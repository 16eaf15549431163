namespace Bpftime.Verification;

/// <summary>The argument is a function of the program (a static callback of bpf_loop, for_each_map_elem).</summary>
internal sealed record FunctionArgument(int Register, string Role) : HelperArgumentAssertion(Register, Role);
