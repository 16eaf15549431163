using Xunit.Abstractions;

namespace Bpftime.Tests.Corpus;

/// <summary>
/// The verifier on real-world objects (cilium, falco, ovs, suricata, Linux samples, ...), compared with
/// PREVAIL's published verdicts on the same corpus. Prints the report (and writes it as markdown to
/// $BPFTIME_CORPUS_REPORT when set); asserts soundness (nothing PREVAIL rightly rejects is accepted),
/// robustness (no crash of the reader or the verifier) and a floor on what we prove.
/// </summary>
public sealed class CorpusPrecisionTests(ITestOutputHelper output)
{
    /// <summary>
    /// Rows PREVAIL proves that we prove too, as measured: a regression guard. It rises as the verifier
    /// (program-type contexts, helpers, object reading) improves; raise it with the measured number.
    /// </summary>
    private const int AcceptedFloor = 324;

    /// <summary>Per program: a refusal at this cap keeps the whole run short on a loaded machine.</summary>
    private static readonly TimeSpan TimeCap = TimeSpan.FromSeconds(10);

    [SkippableFact]
    public void VerifiesTheCorpusAndComparesWithPrevail()
    {
        var root = CorpusLocation.Directory;
        Skip.If(root is null, CorpusLocation.SkipReason);

        var rows = PrevailRow.Load(CorpusLocation.PrevailVerdictsFile);
        var measurement = CorpusMeasurement.Run(root!, TimeCap);
        var report = new PrecisionReport(rows, measurement);
        var markdown = report.ToMarkdown();
        output.WriteLine(markdown);
        if (Environment.GetEnvironmentVariable("BPFTIME_CORPUS_REPORT") is { Length: > 0 } reportPath)
        {
            File.WriteAllText(reportPath, markdown);
        }
        if (Environment.GetEnvironmentVariable("BPFTIME_CORPUS_VERDICTS") is { Length: > 0 } verdictsPath)
        {
            File.WriteAllText(verdictsPath, report.ToVerdictTable());
        }

        Assert.Empty(measurement.Crashes.Select(c => $"{c.Key}: {c.Cause}"));
        Assert.Empty(report.UnsafeAccepted.Select(r => r.Row.Key));
        Assert.True(report.WeAcceptOfPrevailAccepted >= AcceptedFloor,
            $"we prove {report.WeAcceptOfPrevailAccepted} of the sections PREVAIL proves; the floor is {AcceptedFloor}");
    }

    [SkippableFact]
    public void EveryRowOfPrevailsTableNamesAnObjectOfTheCorpus()
    {
        var root = CorpusLocation.Directory;
        Skip.If(root is null, CorpusLocation.SkipReason);

        var rows = PrevailRow.Load(CorpusLocation.PrevailVerdictsFile);
        Assert.NotEmpty(rows);
        Assert.Empty(rows.Where(r => !File.Exists(Path.Combine(root!, r.Project, r.File))).Select(r => r.Key));
        Assert.Empty(rows.GroupBy(r => r.Key).Where(g => g.Count() > 1).Select(g => g.Key));
    }
}
