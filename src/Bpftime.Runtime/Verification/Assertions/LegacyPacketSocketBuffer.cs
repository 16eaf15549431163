namespace Bpftime.Verification;

/// <summary>r6 holds the context (the socket buffer) unmoved at a legacy packet load.</summary>
internal sealed record LegacyPacketSocketBuffer : Assertion;
