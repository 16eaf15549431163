namespace Bpftime.Verification;

/// <summary>
/// The argument points at memory of the map argument's key (<paramref name="Key"/>) or value size:
/// initialised when the helper reads it, writable when it <paramref name="Writes"/>.
/// </summary>
internal sealed record MapKeyValueArgument(int Register, string Role, bool Key, bool Writes) : HelperArgumentAssertion(Register, Role);
