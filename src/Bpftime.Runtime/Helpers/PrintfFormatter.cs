using System.Globalization;
using System.Text;
using Bpftime.Maps;

namespace Bpftime.Helpers;

/// <summary>
/// The printf dialect of bpf_trace_printk and bpf_snprintf, checked and rendered as the kernel does:
/// conversions %d %i %u %x %X with the l and ll modifiers, %c, %s, %p (and %px, %pK: the address in hex),
/// %%, with the optional flags 0 + - and space and a decimal width. Without l, integers are the low
/// 32 bits of the argument. Anything else, or more conversions than arguments, is -EINVAL.
/// </summary>
public static unsafe class PrintfFormatter
{
    /// <summary>Longest string a %s copies.</summary>
    public const int MaxStringArgument = 512;

    /// <summary>
    /// Renders <paramref name="format"/> (up to its NUL) with <paramref name="arguments"/>; 0 or -EINVAL.
    /// While a program runs, <c>%s</c> reads only memory it owns (its context, frames and map values)
    /// and faults otherwise (see <see cref="Execution.HelperMemory.OwnedString"/>).
    /// </summary>
    public static int Format(ReadOnlySpan<byte> format, ReadOnlySpan<ulong> arguments, StringBuilder output) =>
        Format(format, arguments, output, anyAddress: false, "printf");

    /// <summary>
    /// As <see cref="Format(ReadOnlySpan{byte}, ReadOnlySpan{ulong}, StringBuilder)"/>; with
    /// <paramref name="anyAddress"/> (the "tracing" helper set) <c>%s</c> reads any address of the
    /// process without faulting (an unreadable one prints as an empty string, as the kernel does).
    /// </summary>
    public static int Format(ReadOnlySpan<byte> format, ReadOnlySpan<ulong> arguments, StringBuilder output, bool anyAddress, string helper)
    {
        var nul = format.IndexOf((byte)0);
        if (nul >= 0)
        {
            format = format[..nul];
        }
        var next = 0;
        for (var i = 0; i < format.Length; i++)
        {
            var c = format[i];
            if (c > 0x7e || (c < 0x20 && c is not ((byte)'\n' or (byte)'\t' or (byte)'\r' or 0x0b or 0x0c)))
            {
                return -Errno.EINVAL;
            }
            if (c != '%')
            {
                output.Append((char)c);
                continue;
            }
            if (At(format, i + 1) == '%')
            {
                output.Append('%');
                i++;
                continue;
            }
            if (next >= arguments.Length)
            {
                return -Errno.EINVAL;
            }
            i++;
            bool left = false, zero = false, plus = false, space = false;
            while (true)
            {
                var flag = At(format, i);
                if (flag == '-') left = true;
                else if (flag == '0') zero = true;
                else if (flag == '+') plus = true;
                else if (flag == ' ') space = true;
                else break;
                i++;
            }
            var width = 0;
            if (At(format, i) is >= (byte)'1' and <= (byte)'9')
            {
                while (At(format, i) is >= (byte)'0' and <= (byte)'9')
                {
                    width = Math.Min(width * 10 + (At(format, i) - '0'), 1024);
                    i++;
                }
            }
            var argument = arguments[next++];
            string text;
            var numeric = true;
            switch ((char)At(format, i))
            {
                case 'p':
                    if (At(format, i + 1) is (byte)'x' or (byte)'K')
                    {
                        i++;
                    }
                    text = "0x" + argument.ToString("x", CultureInfo.InvariantCulture);
                    numeric = false;
                    break;
                case 'c':
                    text = ((char)(byte)argument).ToString();
                    numeric = false;
                    break;
                case 's':
                    text = anyAddress
                        ? ReadString(argument)
                        : Execution.HelperMemory.OwnedString(argument, MaxStringArgument - 1, helper, $"%s #{next}") ?? ReadString(argument);
                    numeric = false;
                    break;
                default:
                    {
                        var wide = false;
                        if (At(format, i) == 'l')
                        {
                            wide = true;
                            i++;
                            if (At(format, i) == 'l')
                            {
                                i++;
                            }
                        }
                        var value = wide ? argument : (uint)argument;
                        switch ((char)At(format, i))
                        {
                            case 'd':
                            case 'i':
                                var signed = wide ? (long)value : (int)(uint)value;
                                text = signed.ToString(CultureInfo.InvariantCulture);
                                if (signed >= 0 && plus)
                                {
                                    text = "+" + text;
                                }
                                else if (signed >= 0 && space)
                                {
                                    text = " " + text;
                                }
                                break;
                            case 'u':
                                text = value.ToString(CultureInfo.InvariantCulture);
                                break;
                            case 'x':
                                text = value.ToString("x", CultureInfo.InvariantCulture);
                                break;
                            case 'X':
                                text = value.ToString("X", CultureInfo.InvariantCulture);
                                break;
                            default:
                                return -Errno.EINVAL;
                        }
                        break;
                    }
            }
            Pad(output, text, width, left, zero && numeric && !left);
        }
        return 0;
    }

    private static byte At(ReadOnlySpan<byte> format, int index) => index < format.Length ? format[index] : (byte)0;

    private static void Pad(StringBuilder output, string text, int width, bool left, bool zero)
    {
        var padding = Math.Max(0, width - text.Length);
        if (left)
        {
            output.Append(text).Append(' ', padding);
        }
        else if (zero && padding > 0)
        {
            // Zeros go after the sign.
            var sign = text.Length > 0 && text[0] is '-' or '+' or ' ' ? 1 : 0;
            output.Append(text, 0, sign).Append('0', padding).Append(text, sign, text.Length - sign);
        }
        else
        {
            output.Append(' ', padding).Append(text);
        }
    }

    private static string ReadString(ulong address)
    {
        var buffer = stackalloc byte[MaxStringArgument];
        var result = ProbeReadHelpers.CopyStringInto((ulong)buffer, MaxStringArgument, address);
        if ((long)result <= 0)
        {
            return "";
        }
        return Encoding.Latin1.GetString(buffer, (int)result - 1);
    }
}
