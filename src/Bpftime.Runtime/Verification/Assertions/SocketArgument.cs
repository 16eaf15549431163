namespace Bpftime.Verification;

/// <summary>The argument is a socket: the verifier does not track sockets, so this never holds.</summary>
internal sealed record SocketArgument(int Register, string Role, string HelperName) : HelperArgumentAssertion(Register, Role);
