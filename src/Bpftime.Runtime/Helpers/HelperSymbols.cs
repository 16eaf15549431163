using System.Globalization;

namespace Bpftime.Helpers;

/// <summary>bpftime's symbol convention for helpers in native code: <c>_bpf_helper_ext_NNNN</c>.</summary>
public static class HelperSymbols
{
    public const string Prefix = "_bpf_helper_ext_";

    public static string SymbolFor(int helperId) => Prefix + helperId.ToString("D4", CultureInfo.InvariantCulture);

    public static bool TryParse(string symbol, out int helperId) => TryParseIndex(symbol, Prefix, out helperId);

    /// <summary>
    /// <paramref name="name"/> is <paramref name="prefix"/> and a decimal index, as the runtime's native
    /// symbols for helpers and maps are: ASCII digits only, no sign or spaces, at most
    /// <see cref="int.MaxValue"/> (what <c>int.TryParse</c> with <c>NumberStyles.None</c> accepts), read
    /// by hand because the culture-aware parser sets up number formatting on first use, at every start.
    /// </summary>
    internal static bool TryParseIndex(string name, string prefix, out int index)
    {
        index = 0;
        if (name.Length == prefix.Length || !name.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }
        long value = 0;
        for (var i = prefix.Length; i < name.Length; i++)
        {
            var digit = name[i] - '0';
            if (digit is < 0 or > 9)
            {
                return false;
            }
            value = (value * 10) + digit;
            if (value > int.MaxValue)
            {
                return false;
            }
        }
        index = (int)value;
        return true;
    }
}
