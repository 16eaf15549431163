namespace Bpftime.Verification;

/// <summary>
/// The context a callback helper passes on to its callback: anything initialised, or with
/// <paramref name="StackOrNull"/> a stack pointer or 0.
/// </summary>
internal sealed record CallbackContextArgument(int Register, string Role, bool StackOrNull) : HelperArgumentAssertion(Register, Role);
