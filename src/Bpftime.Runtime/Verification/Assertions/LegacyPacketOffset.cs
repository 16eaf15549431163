namespace Bpftime.Verification;

/// <summary>The offset register of ld_ind is initialised and a number (its bits steer what is read).</summary>
internal sealed record LegacyPacketOffset(int Register) : Assertion;
