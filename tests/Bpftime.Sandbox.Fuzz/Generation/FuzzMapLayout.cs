using System.Text;
using Bpftime.Objects;

namespace Bpftime.Sandbox.Fuzz.Generation;

/// <summary>
/// The maps every generated program is given, by the index its ld_imm64 (src 5 and 6) names: an array, a
/// hash, read-only strings (formats for snprintf, strncmp and trace_printk), a queue, a ring buffer and a
/// program array. Every value is <see cref="ValueSize"/> bytes, so a pointer from either lookup fits the same offsets.
/// </summary>
internal static class FuzzMapLayout
{
    public const int Values = 0;
    public const int Table = 1;
    public const int Strings = 2;
    public const int Queue = 3;
    public const int Events = 4;
    public const int Programs = 5;

    public const int ValueSize = 64;
    public const int RingSize = 4096;

    /// <summary>NUL-terminated strings in the read-only map, by offset.</summary>
    public static IReadOnlyList<(int Offset, string Text)> StringsAt { get; } =
    [
        (0, "%d %u %llx"),
        (16, "abc"),
        (24, "%s"),
        (32, "%p %c"),
        (48, "hello world"),
    ];

    public static IReadOnlyList<MapSpec> Specs { get; } =
    [
        new("values", MapType.Array, 4, ValueSize, 4),
        new("table", MapType.Hash, 8, ValueSize, 8),
        new("strings", MapType.Array, 4, ValueSize, 1) { IsReadOnlyForPrograms = true, InitialValue = StringBytes() },
        new("queue", MapType.Queue, 0, 8, 8),
        new("events", MapType.RingBuf, 0, 0, RingSize),
        new("programs", MapType.ProgArray, 4, 4, 2),
    ];

    private static byte[] StringBytes()
    {
        var bytes = new byte[ValueSize];
        foreach (var (offset, text) in StringsAt)
        {
            Encoding.ASCII.GetBytes(text).CopyTo(bytes, offset);
        }
        return bytes;
    }
}
