using System.Runtime.InteropServices;
using System.Text;
using Bpftime.Execution;
using Bpftime.Maps;

namespace Bpftime.Helpers;

/// <summary>bpf_snprintf (165) and bpf_strncmp (182).</summary>
public static unsafe class StringHelpers
{
    /// <summary>Most arguments bpf_snprintf takes (MAX_BPRINTF_VARARGS).</summary>
    public const int MaxSnprintfArguments = 12;

    /// <summary>
    /// snprintf(str, str_size, fmt, data, data_len): data holds data_len / 8 u64 arguments. Writes at
    /// most str_size bytes with a NUL; returns the length the whole text needs with its NUL, or -EINVAL.
    /// %s reads only memory the running program owns.
    /// </summary>
    public static HelperFunction Snprintf { get; } = SnprintfOf(anyAddress: false);

    /// <summary>snprintf of the "tracing" set: %s reads any address of the process.</summary>
    public static HelperFunction SnprintfAnyAddress { get; } = SnprintfOf(anyAddress: true);

    private static HelperFunction SnprintfOf(bool anyAddress) => new(HelperIds.Snprintf,
        (target, targetSize, format, data, dataLength) =>
        {
            try
            {
                var checking = HelperMemory.Checking;
                if ((format == 0 && !checking) || dataLength % 8 != 0 || dataLength / 8 > MaxSnprintfArguments
                    || (data == 0 && dataLength != 0 && !checking) || (target == 0 && targetSize != 0 && !checking))
                {
                    return HelperFault.Errno(Errno.EINVAL);
                }
                // The output is taken first: a refused buffer is refused before anything is read.
                var output = HelperMemory.Writable(target, targetSize, "snprintf", "1 (str)");
                var text = HelperMemory.CString(format, MaxFormatLength, "snprintf", "3 (fmt)");
                var arguments = HelperMemory.Readable(data, dataLength, "snprintf", "4 (data)");
                var message = new StringBuilder();
                var result = PrintfFormatter.Format(text, MemoryMarshal.Cast<byte, ulong>(arguments), message, anyAddress, "snprintf");
                if (result < 0)
                {
                    return HelperFault.Errno(-result);
                }
                var bytes = Encoding.Latin1.GetBytes(message.ToString());
                if (output.Length > 0)
                {
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

    /// <summary>Longest format string snprintf reads, with its NUL.</summary>
    private const int MaxFormatLength = 65536;

    /// <summary>strncmp(s1, s1_size, s2): compares s1 (at most s1_size bytes) with the constant string s2; &lt;0, 0 or &gt;0.</summary>
    public static HelperFunction Strncmp { get; } = new(HelperIds.Strncmp,
        static (s1, size, s2, _, _) =>
        {
            try
            {
                if ((s1 == 0 || s2 == 0) && !HelperMemory.Checking)
                {
                    return HelperFault.Errno(Errno.EINVAL);
                }
                var a = HelperMemory.Readable(s1, size, "strncmp", "1 (s1)");
                // s2 is read no further than s1 could match it, and never past memory the program may read.
                var b = HelperMemory.StringPrefix(s2, (int)Math.Min(size, MaxFormatLength), "strncmp", "3 (s2)");
                for (var i = 0; i < a.Length; i++)
                {
                    var other = i < b.Length ? b[i] : (byte)0;
                    if (a[i] != other)
                    {
                        return (ulong)(long)(a[i] < other ? -1 : 1);
                    }
                    if (a[i] == 0)
                    {
                        return 0;
                    }
                }
                return 0;
            }
            catch (Exception error)
            {
                return HelperFault.Record(error, HelperFault.Errno(Errno.EINVAL));
            }
        });

    public static IEnumerable<HelperFunction> All => [Snprintf, Strncmp];
}
