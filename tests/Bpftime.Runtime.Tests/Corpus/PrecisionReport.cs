using System.Globalization;
using System.Text;

namespace Bpftime.Tests.Corpus;

/// <summary>
/// Compares our verdicts on the corpus with PREVAIL's published ones, row by row, and renders the result
/// as markdown: counts for both, where we are more and less precise, and what verification cost.
/// </summary>
public sealed class PrecisionReport
{
    public PrecisionReport(IReadOnlyList<PrevailRow> rows, CorpusMeasurement measurement)
    {
        Measurement = measurement;
        Rows = rows.Select(r => new RowComparison(r, measurement.For(r))).ToList();
    }

    public CorpusMeasurement Measurement { get; }

    public IReadOnlyList<RowComparison> Rows { get; }

    /// <summary>Safe by PREVAIL's account (it proves them, or fails on them wrongly) and we prove them.</summary>
    public int WeAcceptOfPrevailAccepted => Rows.Count(r => r.Row.Verdict == PrevailVerdict.Accepted && r.WeAccept);

    /// <summary>PREVAIL fails on them (false positives) and we prove them.</summary>
    public IReadOnlyList<RowComparison> MorePrecise => Rows.Where(r => r.Row.Verdict == PrevailVerdict.FailsShouldPass && r.WeAccept).ToList();

    /// <summary>PREVAIL proves them and we refuse them.</summary>
    public IReadOnlyList<RowComparison> LessPrecise => Rows.Where(r => r.Row.Verdict == PrevailVerdict.Accepted && !r.WeAccept).ToList();

    /// <summary>Unsafe programs (PREVAIL rightly rejects them) that we accept: each one is a soundness bug.</summary>
    public IReadOnlyList<RowComparison> UnsafeAccepted => Rows.Where(r => r.Row.IsUnsafe && r.WeAccept).ToList();

    /// <summary>Our programs that no PREVAIL row names.</summary>
    public IReadOnlyList<CorpusProgramResult> Unlisted
    {
        get
        {
            var listed = Rows.SelectMany(r => r.Ours).ToHashSet();
            return Measurement.Programs.Where(p => !listed.Contains(p)).ToList();
        }
    }

    public string ToMarkdown()
    {
        var text = new StringBuilder();
        var programs = Measurement.Programs.ToList();
        var unreadable = Measurement.UnreadableObjects.ToList();
        var sections = programs.GroupBy(p => (p.Project, p.File, p.Section)).ToList();
        var times = programs.Select(p => p.Time).Order().ToList();
        var worst = programs.OrderByDescending(p => p.Time).FirstOrDefault();

        text.AppendLine("# Verifier precision on the ebpf-samples corpus");
        text.AppendLine();
        text.AppendLine(Invariant($"- Objects: {Measurement.ObjectCount} ({Measurement.ObjectCount - unreadable.Count} read, {unreadable.Count} refused by the reader)."));
        text.AppendLine(Invariant($"- Programs: {programs.Count} in {sections.Count} sections; accepted {programs.Count(p => p.Passed)} ({sections.Count(s => s.All(p => p.Passed))} sections), refused {programs.Count(p => p.Outcome == CorpusOutcome.Refused)}, stopped at the time cap of {Measurement.TimeCap.TotalSeconds:0.#} s {programs.Count(p => p.Outcome == CorpusOutcome.TimedOut)}, crashed {Measurement.Crashes.Count()}."));
        if (times.Count > 0)
        {
            text.AppendLine(Invariant($"- Verification time per program: median {Milliseconds(times[times.Count / 2])}, worst {Milliseconds(worst!.Time)} ({worst.Key}), total {Milliseconds(new TimeSpan(times.Sum(t => t.Ticks)))}."));
        }
        var work = programs.Where(p => p.Statistics is not null).Select(p => p.Statistics!).ToList();
        if (work.Count > 0)
        {
            var busiest = programs.Where(p => p.Statistics is not null).MaxBy(p => p.Statistics!.InstructionsProcessed)!;
            text.AppendLine(Invariant($"- Instructions processed: {work.Sum(w => (long)w.InstructionsProcessed)} in all, at most {busiest.Statistics!.InstructionsProcessed} ({busiest.Key}); peak states held at most {work.Max(w => w.PeakStates)}."));
        }
        text.AppendLine();

        text.AppendLine("## Against PREVAIL");
        text.AppendLine();
        text.AppendLine(Invariant($"{Rows.Count} rows of PREVAIL's test list (vbpf/prevail, src/test/test_verify.cpp) name a section or program of this corpus; of the {Rows.Count(r => r.Row.Verdict == PrevailVerdict.Accepted)} it proves, we prove {WeAcceptOfPrevailAccepted}."));
        text.AppendLine();
        text.AppendLine("| verdict | PREVAIL | Bpftime |");
        text.AppendLine("|---|---:|---:|");
        text.AppendLine(Invariant($"| accepted | {Rows.Count(r => r.PrevailAccepts)} | {Rows.Count(r => r.WeAccept)} |"));
        text.AppendLine(Invariant($"| rejected, rightly (unsafe) | {Rows.Count(r => r.Row.Verdict == PrevailVerdict.Rejected)} | {Rows.Count(r => r.Row.IsUnsafe && !r.WeAccept)} |"));
        text.AppendLine(Invariant($"| failed: safe but refused | {Rows.Count(r => r.Row.Verdict == PrevailVerdict.FailsShouldPass)} | {Rows.Count(r => !r.Row.IsUnsafe && !r.WeAccept)} |"));
        text.AppendLine(Invariant($"| failed: unsafe but accepted | {Rows.Count(r => r.Row.Verdict == PrevailVerdict.FailsShouldReject)} | {UnsafeAccepted.Count} |"));
        text.AppendLine(Invariant($"| of the refusals, at the time cap | - | {Rows.Count(r => r.CauseCode == "time cap")} |"));
        text.AppendLine();

        text.AppendLine(Invariant($"### More precise: PREVAIL fails, we prove ({MorePrecise.Count})"));
        text.AppendLine();
        foreach (var row in MorePrecise)
        {
            text.AppendLine(Invariant($"- {row.Row.Key}"));
        }
        text.AppendLine();

        text.AppendLine(Invariant($"### Unsafe and accepted by us ({UnsafeAccepted.Count}; must be 0)"));
        text.AppendLine();
        foreach (var row in UnsafeAccepted)
        {
            text.AppendLine(Invariant($"- {row.Row.Key}"));
        }
        text.AppendLine();

        text.AppendLine(Invariant($"### Less precise: PREVAIL proves, we refuse ({LessPrecise.Count})"));
        text.AppendLine();
        text.AppendLine("| first error | rows | example |");
        text.AppendLine("|---|---:|---|");
        foreach (var group in LessPrecise.GroupBy(r => r.CauseCode).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal))
        {
            text.AppendLine(Invariant($"| {group.Key} | {group.Count()} | {Escape(group.First().Row.Key)}: {Escape(Shorten(group.First().Cause))} |"));
        }
        text.AppendLine();
        foreach (var row in LessPrecise)
        {
            text.AppendLine(Invariant($"- {row.Row.Key}: {Shorten(row.Cause)}"));
        }
        text.AppendLine();

        var bothFail = Rows.Where(r => r.Row.Verdict == PrevailVerdict.FailsShouldPass && !r.WeAccept).ToList();
        text.AppendLine(Invariant($"### Both refuse a safe program ({bothFail.Count})"));
        text.AppendLine();
        foreach (var row in bothFail)
        {
            text.AppendLine(Invariant($"- {row.Row.Key}: {Shorten(row.Cause)}"));
        }
        text.AppendLine();

        var unlisted = Unlisted;
        text.AppendLine(Invariant($"## Programs PREVAIL's list does not name ({unlisted.Count}, {unlisted.Count(p => p.Passed)} accepted)"));
        text.AppendLine();
        foreach (var program in unlisted)
        {
            text.AppendLine(Invariant($"- {program.Key}: {(program.Passed ? "accepted" : Shorten(program.Cause))}"));
        }
        text.AppendLine();

        text.AppendLine(Invariant($"## Objects the reader refuses ({unreadable.Count})"));
        text.AppendLine();
        foreach (var result in unreadable)
        {
            text.AppendLine(Invariant($"- {result.Key}: {Shorten(result.Cause)}"));
        }
        var crashes = Measurement.Crashes.ToList();
        if (crashes.Count > 0)
        {
            text.AppendLine();
            text.AppendLine(Invariant($"## Crashes of the reader or the verifier ({crashes.Count}; must be 0)"));
            text.AppendLine();
            foreach (var result in crashes)
            {
                text.AppendLine(Invariant($"- {result.Key}: {result.Cause}"));
            }
        }
        return text.ToString();
    }

    /// <summary>One line per program (key, outcome, first error code, instructions processed, peak states, milliseconds), to diff runs.</summary>
    public string ToVerdictTable()
    {
        var text = new StringBuilder();
        foreach (var program in Measurement.Results.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var stats = program.Statistics;
            text.AppendLine(Invariant($"{program.Key}\t{program.Outcome}\t{program.FirstError?.Code ?? "-"}\t{stats?.InstructionsProcessed ?? 0}\t{stats?.PeakStates ?? 0}\t{program.Time.TotalMilliseconds:0.0}"));
        }
        return text.ToString();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string Milliseconds(TimeSpan time) => time.TotalMilliseconds.ToString(time.TotalMilliseconds < 10 ? "0.0" : "0", CultureInfo.InvariantCulture) + " ms";

    /// <summary>The first line of a message, at most 200 characters.</summary>
    private static string Shorten(string message)
    {
        var line = message.Split('\n')[0].TrimEnd();
        return line.Length <= 200 ? line : line[..197] + "...";
    }

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
}
