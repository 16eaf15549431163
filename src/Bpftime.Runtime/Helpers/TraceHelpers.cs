using System.Text;
using Bpftime.Execution;
using Bpftime.Maps;

namespace Bpftime.Helpers;

/// <summary>bpf_trace_printk (Linux id 6), writing to a <see cref="TraceSink"/> the host chose.</summary>
public static unsafe class TraceHelpers
{
    /// <summary>
    /// trace_printk(fmt, fmt_size, a1, a2, a3): fmt_size counts the format's NUL. Returns the length of
    /// the message written, or -EINVAL for a format the kernel would refuse.
    /// </summary>
    public static HelperFunction TracePrintk(TraceSink sink) => TracePrintk(sink, anyAddress: false);

    /// <summary>As <see cref="TracePrintk(TraceSink)"/>; with <paramref name="anyAddress"/> (the "tracing" set) %s reads any address.</summary>
    public static HelperFunction TracePrintk(TraceSink sink, bool anyAddress)
    {
        ArgumentNullException.ThrowIfNull(sink);
        return new HelperFunction(HelperIds.TracePrintk,
            (format, size, a1, a2, a3) =>
            {
                try
                {
                    if ((format == 0 && !HelperMemory.Checking) || size == 0 || size > 1024)
                    {
                        return HelperFault.Errno(Errno.EINVAL);
                    }
                    var text = HelperMemory.Readable(format, size, "trace_printk", "1 (fmt)");
                    if (text.IndexOf((byte)0) < 0)
                    {
                        return HelperFault.Errno(Errno.EINVAL);
                    }
                    var arguments = stackalloc ulong[3] { a1, a2, a3 };
                    var message = new StringBuilder();
                    var result = PrintfFormatter.Format(text, new ReadOnlySpan<ulong>(arguments, 3), message, anyAddress, "trace_printk");
                    if (result < 0)
                    {
                        return HelperFault.Errno(-result);
                    }
                    var length = message.Length;
                    sink.Write(message.ToString().TrimEnd('\n'));
                    return (ulong)length;
                }
                catch (Exception error)
                {
                    return HelperFault.Record(error, HelperFault.Errno(Errno.EINVAL));
                }
            });
    }

    /// <summary>
    /// trace_vprintk(fmt, fmt_size, data, data_len): as trace_printk with up to 12 u64 arguments in
    /// data (what libbpf's bpf_printk uses for more than three arguments).
    /// </summary>
    public static HelperFunction TraceVprintk(TraceSink sink) => TraceVprintk(sink, anyAddress: false);

    /// <summary>As <see cref="TraceVprintk(TraceSink)"/>; with <paramref name="anyAddress"/> (the "tracing" set) %s reads any address.</summary>
    public static HelperFunction TraceVprintk(TraceSink sink, bool anyAddress)
    {
        ArgumentNullException.ThrowIfNull(sink);
        return new HelperFunction(HelperIds.TraceVprintk,
            (format, size, data, dataLength, _) =>
            {
                try
                {
                    if ((format == 0 && !HelperMemory.Checking) || size == 0 || size > 1024 || dataLength % 8 != 0 || dataLength / 8 > StringHelpers.MaxSnprintfArguments
                        || (data == 0 && dataLength != 0 && !HelperMemory.Checking))
                    {
                        return HelperFault.Errno(Errno.EINVAL);
                    }
                    var text = HelperMemory.Readable(format, size, "trace_vprintk", "1 (fmt)");
                    if (text.IndexOf((byte)0) < 0)
                    {
                        return HelperFault.Errno(Errno.EINVAL);
                    }
                    var data64 = HelperMemory.Readable(data, dataLength, "trace_vprintk", "3 (data)");
                    var message = new StringBuilder();
                    var result = PrintfFormatter.Format(text, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(data64), message, anyAddress, "trace_vprintk");
                    if (result < 0)
                    {
                        return HelperFault.Errno(-result);
                    }
                    var length = message.Length;
                    sink.Write(message.ToString().TrimEnd('\n'));
                    return (ulong)length;
                }
                catch (Exception error)
                {
                    return HelperFault.Record(error, HelperFault.Errno(Errno.EINVAL));
                }
            });
    }
}
