namespace Bpftime.Benchmarks;

/// <summary>
/// Geometric means of run-time ratios over the kernels, the form the suite's targets take (a level
/// against native, checked code against the same level unchecked), so a run states them itself.
/// </summary>
internal static class RatioSummary
{
    public const string CheckedSuffix = "/checked";

    /// <summary>The geometric mean of positive ratios.</summary>
    public static double Geomean(IEnumerable<double> ratios)
    {
        var logs = ratios.Select(r => r > 0 && double.IsFinite(r) ? Math.Log(r) : throw new ArgumentException($"a ratio must be positive and finite, not {r}", nameof(ratios))).ToList();
        return logs.Count == 0 ? throw new ArgumentException("no ratios", nameof(ratios)) : Math.Exp(logs.Average());
    }

    /// <summary>Each checked level whose unchecked level also ran, in the order given: (checked, unchecked).</summary>
    public static List<(string Checked, string Unchecked)> CheckedPairs(IReadOnlyList<string> levels) =>
        [.. levels.Where(l => l.EndsWith(CheckedSuffix, StringComparison.Ordinal))
            .Select(l => (Checked: l, Unchecked: l[..^CheckedSuffix.Length]))
            .Where(p => levels.Contains(p.Unchecked))];
}
