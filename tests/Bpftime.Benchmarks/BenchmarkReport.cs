using System.Globalization;

namespace Bpftime.Benchmarks;

/// <summary>
/// <c>report</c>: runs every section of the harness and writes the figures into docs/benchmarks.md
/// between two markers (the text around them is written by hand and kept), with the run table drawn
/// as docs/benchmarks.png.
/// </summary>
internal static class BenchmarkReport
{
    public const string BeginMarker = "<!-- figures: written by `dotnet run -c Release --project tests/Bpftime.Benchmarks -- report`; edit outside the markers -->";
    public const string EndMarker = "<!-- figures end -->";
    public const string ChartFile = "benchmarks.png";

    public static void Run(int rounds, Progress progress, TextWriter console)
    {
        var docs = Path.Combine(Repository.Root, "docs");
        var documentPath = Path.Combine(docs, "benchmarks.md");
        // Fail before the long run, not after it, when the document has lost its markers.
        Splice(File.ReadAllText(documentPath), "");

        var tables = new StringWriter { NewLine = "\n" };
        var harness = new StopwatchHarness(tables, new HashSet<string>(StopwatchHarness.SectionNames), rounds) { Progress = progress };
        harness.Run();
        var generated = new StringWriter { NewLine = "\n" };
        if (harness.RunLevels.Contains(NativeExecutable.LevelName))
        {
            var chart = Chart(harness);
            File.WriteAllBytes(Path.Combine(docs, ChartFile), Png.Encode(chart));
            generated.WriteLine($"![Run time relative to native C, every level and kernel, log scale]({ChartFile})");
            generated.WriteLine();
        }
        generated.Write(tables.ToString());
        // Read again: the hand-written text may have been edited during the run.
        File.WriteAllText(documentPath, Splice(File.ReadAllText(documentPath), generated.ToString()));
        console.Write(generated.ToString());
        console.WriteLine($"wrote {documentPath} and {Path.Combine(docs, ChartFile)}");
    }

    public static Bitmap Chart(StopwatchHarness harness)
    {
        var levels = harness.RunLevels.Where(l => l != NativeExecutable.LevelName).ToList();
        return RatioChart.Draw("Run time relative to native C (log scale)", levels, harness.RunKernels,
            (level, kernel) => harness.RunTimesMeasured[(level, kernel)] / harness.RunTimesMeasured[(NativeExecutable.LevelName, kernel)]);
    }

    /// <summary>The document with everything between the markers replaced by <paramref name="generated"/>.</summary>
    public static string Splice(string document, string generated)
    {
        var begin = document.IndexOf(BeginMarker, StringComparison.Ordinal);
        var end = document.IndexOf(EndMarker, StringComparison.Ordinal);
        if (begin < 0 || end < begin || document.IndexOf(BeginMarker, begin + 1, StringComparison.Ordinal) >= 0)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"docs/benchmarks.md must hold the line '{BeginMarker}' once, followed by '{EndMarker}'; put them back around the figures section"));
        }
        var start = begin + BeginMarker.Length;
        return document[..start] + "\n\n" + generated.TrimEnd('\n') + "\n\n" + document[end..];
    }
}
