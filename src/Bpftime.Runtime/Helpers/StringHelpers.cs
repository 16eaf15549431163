using System.Text;
using Bpftime.Maps;
using static Bpftime.Helpers.HelperArgumentKind;

namespace Bpftime.Helpers;

/// <summary>bpf_snprintf (165) and bpf_strncmp (182).</summary>
public static unsafe class StringHelpers
{
    /// <summary>Most arguments bpf_snprintf takes (MAX_BPRINTF_VARARGS).</summary>
    public const int MaxSnprintfArguments = 12;

    /// <summary>
    /// snprintf(str, str_size, fmt, data, data_len): data holds data_len / 8 u64 arguments. Writes at
    /// most str_size bytes with a NUL; returns the length the whole text needs with its NUL, or -EINVAL.
    /// </summary>
    public static HelperFunction Snprintf { get; } = new(HelperIds.Snprintf, "snprintf",
        HelperPrototype.Of(HelperReturnKind.Integer, MemoryOrNull, ConstSizeOrZero, ConstString, MemoryOrNull, ConstSizeOrZero),
        static (target, targetSize, format, data, dataLength) =>
        {
            try
            {
                if (format == 0 || dataLength % 8 != 0 || dataLength / 8 > MaxSnprintfArguments || (data == 0 && dataLength != 0) || (target == 0 && targetSize != 0))
                {
                    return HelperFault.Errno(Errno.EINVAL);
                }
                var message = new StringBuilder();
                var result = PrintfFormatter.Format(CString(format), new ReadOnlySpan<ulong>((void*)data, (int)(dataLength / 8)), message);
                if (result < 0)
                {
                    return HelperFault.Errno(-result);
                }
                var bytes = Encoding.Latin1.GetBytes(message.ToString());
                if (targetSize > 0)
                {
                    var output = new Span<byte>((void*)target, (int)Math.Min(targetSize, int.MaxValue));
                    var copied = Math.Min(bytes.Length, output.Length - 1);
                    bytes.AsSpan(0, copied).CopyTo(output);
                    output[copied] = 0;
                }
                return (ulong)bytes.Length + 1;
            }
            catch (Exception error)
            {
                return HelperFault.Record(error, HelperFault.Errno(Errno.EINVAL));
            }
        });

    /// <summary>strncmp(s1, s1_size, s2): compares s1 (at most s1_size bytes) with the constant string s2; &lt;0, 0 or &gt;0.</summary>
    public static HelperFunction Strncmp { get; } = new(HelperIds.Strncmp, "strncmp",
        HelperPrototype.Of(HelperReturnKind.Integer, Memory, ConstSize, ConstString),
        static (s1, size, s2, _, _) =>
        {
            if (s1 == 0 || s2 == 0)
            {
                return HelperFault.Errno(Errno.EINVAL);
            }
            var a = (byte*)s1;
            var b = (byte*)s2;
            for (ulong i = 0; i < size; i++)
            {
                if (a[i] != b[i])
                {
                    return (ulong)(long)(a[i] < b[i] ? -1 : 1);
                }
                if (a[i] == 0)
                {
                    return 0;
                }
            }
            return 0;
        });

    public static IEnumerable<HelperFunction> All => [Snprintf, Strncmp];

    /// <summary>A constant string from read-only data, up to its NUL (at most 64 KiB).</summary>
    private static ReadOnlySpan<byte> CString(ulong address) =>
        System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)address) is var text && text.Length <= 65536
            ? new ReadOnlySpan<byte>((void*)address, text.Length + 1)
            : throw new ArgumentException("the format string has no NUL within 64 KiB");
}
