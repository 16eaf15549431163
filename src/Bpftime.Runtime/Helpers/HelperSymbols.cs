using System.Globalization;

namespace Bpftime.Helpers;

/// <summary>bpftime's symbol convention for helpers in native code: <c>_bpf_helper_ext_NNNN</c>.</summary>
public static class HelperSymbols
{
    public const string Prefix = "_bpf_helper_ext_";

    public static string SymbolFor(int helperId) => Prefix + helperId.ToString("D4", CultureInfo.InvariantCulture);

    public static bool TryParse(string symbol, out int helperId)
    {
        helperId = 0;
        return symbol.StartsWith(Prefix, StringComparison.Ordinal)
            && int.TryParse(symbol.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out helperId);
    }
}
