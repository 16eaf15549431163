namespace Bpftime.Verification;

/// <summary>
/// The argument is a ring-buffer record exactly as bpf_ringbuf_reserve returned it, checked against 0,
/// still held, and reserved by the function (not an outer one, for a callback) that releases it here.
/// </summary>
internal sealed record RingBufferRecordArgument(int Register, string Role, string HelperName) : HelperArgumentAssertion(Register, Role);
