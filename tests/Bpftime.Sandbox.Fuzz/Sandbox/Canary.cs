namespace Bpftime.Sandbox.Fuzz.Sandbox;

/// <summary>
/// The 8-byte words that fill memory around a context and in the host heap. The high half is a fixed tag
/// and the low half the word's own address, so that a changed word says where, and a canary word found in
/// a program's output says that it read memory it was not handed.
/// </summary>
internal static class Canary
{
    public const uint Tag = 0xCA4A21ED;

    public static ulong WordAt(nint address) => ((ulong)Tag << 32) | (uint)address;

    public static bool IsCanaryWord(ulong value) => (uint)(value >> 32) == Tag;

    public static unsafe void Fill(nint start, int length)
    {
        for (var offset = 0; offset + 8 <= length; offset += 8)
        {
            *(ulong*)(start + offset) = WordAt(start + offset);
        }
    }

    /// <summary>The first changed word of the block, or null when it is intact.</summary>
    public static unsafe (nint Address, ulong Found)? FirstChange(nint start, int length)
    {
        for (var offset = 0; offset + 8 <= length; offset += 8)
        {
            var found = *(ulong*)(start + offset);
            if (found != WordAt(start + offset))
            {
                return (start + offset, found);
            }
        }
        return null;
    }
}
