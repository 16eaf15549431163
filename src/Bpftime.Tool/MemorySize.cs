using System.Globalization;
using Bpftime.Diagnostics;
using Bpftime.Hosting;

namespace Bpftime.Tool;

/// <summary>
/// Memory limits as users write them: bytes, or a number with K, M, G or T (powers of 1024, an
/// optional "iB" or "B" after it); "none" lifts the limit; empty is the runtime's default.
/// </summary>
internal static class MemorySize
{
    /// <summary>The limit, null for none; <paramref name="setting"/> names the option in the error.</summary>
    public static long? Parse(string? text, string setting, string? file = null)
    {
        var value = text?.Trim() ?? "";
        if (value.Length == 0)
        {
            return BpfLoadOptions.DefaultMaxMapMemory;
        }
        if (value.Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var upper = value.ToUpperInvariant();
        if (upper.EndsWith("IB", StringComparison.Ordinal))
        {
            upper = upper[..^2];
        }
        else if (upper.EndsWith('B'))
        {
            upper = upper[..^1];
        }
        var shift = upper.Length == 0 ? 0 : upper[^1] switch
        {
            'K' => 10,
            'M' => 20,
            'G' => 30,
            'T' => 40,
            _ => 0,
        };
        var digits = shift == 0 ? upper : upper[..^1];
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number > long.MaxValue >> shift)
        {
            throw BpfException.Create(DiagnosticCodes.InvalidBuildSetting,
                $"{setting} '{text}' is not a memory size: write bytes (268435456), a number with K, M, G or T (256M), or none", file);
        }
        return number << shift;
    }

    public static string Describe(long? limit) => limit is { } bytes ? bytes.ToString(CultureInfo.InvariantCulture) + " bytes" : "no limit";
}
