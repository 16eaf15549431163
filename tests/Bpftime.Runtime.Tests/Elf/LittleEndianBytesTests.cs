using System.Buffers.Binary;
using Bpftime.Elf;

namespace Bpftime.Runtime.Tests.Elf;

/// <summary>
/// The ELF reader's and the native linker's own little-endian reads and writes, against the framework's
/// <see cref="BinaryPrimitives"/> over a slice: the same values at every offset, and the same refusal
/// (an <see cref="ArgumentOutOfRangeException"/>, nothing written) for a field that does not lie whole
/// inside the bytes, whatever the offset.
/// </summary>
public class LittleEndianBytesTests
{
    private static readonly int[] HostileOffsets = [-1, -8, int.MinValue, int.MaxValue, int.MaxValue - 3, int.MaxValue - 7];

    private static byte[] Pattern(int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            // Every byte distinct and some with the top bit set, so a swapped or sign-extended byte shows.
            bytes[i] = (byte)((i * 37) + 0x81);
        }
        return bytes;
    }

    [Fact]
    public void ReadsMatchTheFrameworkAtEveryOffsetThatFits()
    {
        var bytes = Pattern(19);
        for (var offset = 0; offset <= bytes.Length; offset++)
        {
            var rest = bytes.AsSpan(offset);
            if (rest.Length >= 2)
            {
                Assert.Equal(BinaryPrimitives.ReadUInt16LittleEndian(rest), LittleEndianBytes.ReadUInt16(bytes, offset));
            }
            if (rest.Length >= 4)
            {
                Assert.Equal(BinaryPrimitives.ReadUInt32LittleEndian(rest), LittleEndianBytes.ReadUInt32(bytes, offset));
            }
            if (rest.Length >= 8)
            {
                Assert.Equal(BinaryPrimitives.ReadUInt64LittleEndian(rest), LittleEndianBytes.ReadUInt64(bytes, offset));
                Assert.Equal(BinaryPrimitives.ReadInt64LittleEndian(rest), LittleEndianBytes.ReadInt64(bytes, offset));
            }
        }
    }

    [Fact]
    public void KnownBytesReadAsLittleEndian()
    {
        byte[] bytes = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0xf8];
        Assert.Equal((ushort)0x0201, LittleEndianBytes.ReadUInt16(bytes, 0));
        Assert.Equal(0x04030201u, LittleEndianBytes.ReadUInt32(bytes, 0));
        Assert.Equal(0xf807060504030201ul, LittleEndianBytes.ReadUInt64(bytes, 0));
        Assert.Equal(unchecked((long)0xf807060504030201ul), LittleEndianBytes.ReadInt64(bytes, 0));
    }

    [Fact]
    public void WritesMatchTheFrameworkAtEveryOffsetThatFits()
    {
        ulong[] values = [0, 1, 0x80, 0xdeadbeef, 0x8000000000000000, ulong.MaxValue, 0x0123456789abcdef];
        foreach (var value in values)
        {
            for (var offset = 0; offset <= 12; offset++)
            {
                var expected = Pattern(12);
                var actual = Pattern(12);
                if (offset + 4 <= expected.Length)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(expected.AsSpan(offset), (uint)value);
                    LittleEndianBytes.WriteUInt32(actual, offset, (uint)value);
                    Assert.Equal(expected, actual);
                    BinaryPrimitives.WriteInt32LittleEndian(expected.AsSpan(offset), unchecked((int)value));
                    LittleEndianBytes.WriteInt32(actual, offset, unchecked((int)value));
                    Assert.Equal(expected, actual);
                }
                if (offset + 8 <= expected.Length)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(expected.AsSpan(offset), value);
                    LittleEndianBytes.WriteUInt64(actual, offset, value);
                    Assert.Equal(expected, actual);
                    BinaryPrimitives.WriteInt64LittleEndian(expected.AsSpan(offset), unchecked((long)value));
                    LittleEndianBytes.WriteInt64(actual, offset, unchecked((long)value));
                    Assert.Equal(expected, actual);
                }
            }
        }
    }

    [Fact]
    public void AFieldThatRunsPastTheEndIsRefusedAsTheFrameworkRefusesIt()
    {
        var bytes = Pattern(11);
        // Offsets near the end: the framework refuses the short slice; ours refuses the same offsets.
        for (var offset = 4; offset <= bytes.Length; offset++)
        {
            var at = offset;
            if (bytes.Length - at < 8)
            {
                Assert.Throws<ArgumentOutOfRangeException>(() => BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at)));
                Assert.Throws<ArgumentOutOfRangeException>(() => LittleEndianBytes.ReadUInt64(bytes, at));
                Assert.Throws<ArgumentOutOfRangeException>(() => LittleEndianBytes.ReadInt64(bytes, at));
            }
            if (bytes.Length - at < 4)
            {
                Assert.Throws<ArgumentOutOfRangeException>(() => BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at)));
                Assert.Throws<ArgumentOutOfRangeException>(() => LittleEndianBytes.ReadUInt32(bytes, at));
            }
            if (bytes.Length - at < 2)
            {
                Assert.Throws<ArgumentOutOfRangeException>(() => BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(at)));
                Assert.Throws<ArgumentOutOfRangeException>(() => LittleEndianBytes.ReadUInt16(bytes, at));
            }
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => LittleEndianBytes.ReadUInt16([], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LittleEndianBytes.ReadUInt16([0x01], 0));
    }

    [Fact]
    public void NegativeAndHugeOffsetsAreRefusedAsTheFrameworkRefusesTheirSlices()
    {
        var bytes = Pattern(16);
        foreach (var offset in HostileOffsets)
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => { _ = bytes.AsSpan(offset); });
            Assert.Throws<ArgumentOutOfRangeException>(() => LittleEndianBytes.ReadUInt16(bytes, offset));
            Assert.Throws<ArgumentOutOfRangeException>(() => LittleEndianBytes.ReadUInt32(bytes, offset));
            Assert.Throws<ArgumentOutOfRangeException>(() => LittleEndianBytes.ReadUInt64(bytes, offset));
            Assert.Throws<ArgumentOutOfRangeException>(() => LittleEndianBytes.WriteUInt32(bytes, offset, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => LittleEndianBytes.WriteUInt64(bytes, offset, 1));
        }
        Assert.Equal(Pattern(16), bytes);
    }

    [Fact]
    public void AWriteThatDoesNotFitChangesNoByte()
    {
        for (var offset = 9; offset <= 12; offset++)
        {
            var bytes = Pattern(12);
            var at = offset;
            Assert.Throws<ArgumentOutOfRangeException>(() => BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(at), ulong.MaxValue));
            Assert.Throws<ArgumentOutOfRangeException>(() => LittleEndianBytes.WriteUInt64(bytes, at, ulong.MaxValue));
            Assert.Throws<ArgumentOutOfRangeException>(() => LittleEndianBytes.WriteInt64(bytes, at, -1));
            if (at > 8)
            {
                Assert.Throws<ArgumentOutOfRangeException>(() => LittleEndianBytes.WriteUInt32(bytes, at, uint.MaxValue));
                Assert.Throws<ArgumentOutOfRangeException>(() => LittleEndianBytes.WriteInt32(bytes, at, -1));
            }
            Assert.Equal(Pattern(12), bytes);
        }
    }
}
