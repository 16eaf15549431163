namespace Bpftime.Verification;

/// <summary>The argument points at 8 writable bytes of the stack (a long * result).</summary>
internal sealed record StackSlotArgument(int Register, string Role) : HelperArgumentAssertion(Register, Role);
