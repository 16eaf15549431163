using System.Runtime.CompilerServices;

namespace Bpftime.Elf;

/// <summary>
/// Little-endian integers read from and written to bytes at an offset, for the ELF reader and the
/// native linker. Not <c>BinaryPrimitives</c>: the runtime names that type through the System.Memory
/// facade, which a load would open only for it, and each of its methods is a lookup of its own at
/// start (precompiled code cannot inline the framework's). Byte by byte, so the result does not depend
/// on the host's byte order and nothing is read or written through a reinterpreted reference.
/// </summary>
/// <remarks>
/// As <c>BinaryPrimitives</c> over a slice, a field that does not lie whole inside the bytes (a negative
/// offset, or fewer bytes left than the field's width) is an <see cref="ArgumentOutOfRangeException"/>
/// and nothing is written.
/// </remarks>
internal static class LittleEndianBytes
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort ReadUInt16(ReadOnlySpan<byte> bytes, int offset)
    {
        Check(bytes.Length, offset, sizeof(ushort));
        return (ushort)(bytes[offset] | (bytes[offset + 1] << 8));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint ReadUInt32(ReadOnlySpan<byte> bytes, int offset)
    {
        Check(bytes.Length, offset, sizeof(uint));
        return bytes[offset] | ((uint)bytes[offset + 1] << 8) | ((uint)bytes[offset + 2] << 16) | ((uint)bytes[offset + 3] << 24);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong ReadUInt64(ReadOnlySpan<byte> bytes, int offset)
    {
        Check(bytes.Length, offset, sizeof(ulong));
        var low = bytes[offset] | ((uint)bytes[offset + 1] << 8) | ((uint)bytes[offset + 2] << 16) | ((uint)bytes[offset + 3] << 24);
        var high = bytes[offset + 4] | ((uint)bytes[offset + 5] << 8) | ((uint)bytes[offset + 6] << 16) | ((uint)bytes[offset + 7] << 24);
        return low | ((ulong)high << 32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long ReadInt64(ReadOnlySpan<byte> bytes, int offset) => unchecked((long)ReadUInt64(bytes, offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteUInt32(Span<byte> bytes, int offset, uint value)
    {
        Check(bytes.Length, offset, sizeof(uint));
        bytes[offset] = (byte)value;
        bytes[offset + 1] = (byte)(value >> 8);
        bytes[offset + 2] = (byte)(value >> 16);
        bytes[offset + 3] = (byte)(value >> 24);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteInt32(Span<byte> bytes, int offset, int value) => WriteUInt32(bytes, offset, unchecked((uint)value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteUInt64(Span<byte> bytes, int offset, ulong value)
    {
        Check(bytes.Length, offset, sizeof(ulong));
        for (var i = 0; i < sizeof(ulong); i++)
        {
            bytes[offset + i] = (byte)(value >> (8 * i));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteInt64(Span<byte> bytes, int offset, long value) => WriteUInt64(bytes, offset, unchecked((ulong)value));

    // Before any byte is touched, so a write that does not fit changes nothing.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Check(int length, int offset, int width)
    {
        if ((ulong)(uint)offset + (uint)width > (uint)length)
        {
            OutOfRange(length, offset, width);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void OutOfRange(int length, int offset, int width) =>
        throw new ArgumentOutOfRangeException(nameof(offset), offset, $"a {width}-byte field at this offset does not fit in {length} bytes");
}
