namespace Bpftime.Verification;

/// <summary>What one byte of a frame's stack holds.</summary>
internal enum StackByte : byte
{
    /// <summary>Never written: reading it is an error.</summary>
    Invalid,
    /// <summary>Some data, value unknown.</summary>
    Misc,
    /// <summary>Known to be zero.</summary>
    Zero,
    /// <summary>Part of a spilled register (the 8-byte slot's <see cref="FrameState.Spills"/> entry).</summary>
    Spill,
}
