namespace Bpftime.Benchmarks.Tests;

/// <summary>The report's tables, the markers that keep the hand-written text, and the chart's bars.</summary>
public sealed class ReportTests
{
    [Fact]
    public void TablesAlignNamesLeftAndNumbersRight()
    {
        var table = new MarkdownTable("level", "log2", "switch");
        table.Add("jit", "3.00", "12.50");
        table.Add("llvm-jit O3", "0.99");
        var text = new StringWriter { NewLine = "\n" };
        table.Write(text);
        Assert.Equal(
            "| level       | log2 | switch |\n" +
            "|-------------|-----:|-------:|\n" +
            "| jit         | 3.00 |  12.50 |\n" +
            "| llvm-jit O3 | 0.99 |        |\n" +
            "\n", text.ToString());
    }

    [Fact]
    public void SplicingReplacesOnlyWhatLiesBetweenTheMarkers()
    {
        var document = $"# Title\nhand-written\n{BenchmarkReport.BeginMarker}\nold figures\n{BenchmarkReport.EndMarker}\nmore text\n";
        var spliced = BenchmarkReport.Splice(document, "new figures\n");
        Assert.Equal($"# Title\nhand-written\n{BenchmarkReport.BeginMarker}\n\nnew figures\n\n{BenchmarkReport.EndMarker}\nmore text\n", spliced);
        Assert.Equal(spliced, BenchmarkReport.Splice(spliced, "new figures\n"));
    }

    [Theory]
    [InlineData("no markers at all\n")]
    [InlineData(BenchmarkReport.EndMarker + "\n" + BenchmarkReport.BeginMarker + "\n")]
    [InlineData(BenchmarkReport.BeginMarker + "\n" + BenchmarkReport.BeginMarker + "\n" + BenchmarkReport.EndMarker + "\n")]
    public void ADocumentWithoutItsMarkersInOrderIsRefused(string document)
    {
        var error = Assert.Throws<InvalidDataException>(() => BenchmarkReport.Splice(document, "figures"));
        Assert.Contains("markers", error.Message);
    }

    [Fact]
    public void BarsRiseAboveTheNativeLineWhenSlowerAndHangBelowWhenFaster()
    {
        string[] levels = ["jit", "jit/checked"];
        var chart = RatioChart.Draw("t", levels, ["a"], (level, _) => level == "jit" ? 10 : 0.5);
        var plot = Enumerable.Range(RatioChart.Top, RatioChart.PlotHeight + 1).ToList();
        var nativeRow = plot.Single(y => chart[RatioChart.Left + 1, y] == Rgb.Black);
        var colour = RatioChart.ColourOf("jit", 0);
        var pixels = (from y in plot from x in Enumerable.Range(0, chart.Width) where chart[x, y] == colour select (x, y)).ToList();
        var firstBar = pixels.Min(p => p.x);
        var trusted = pixels.Where(p => p.x < firstBar + 7).ToList();
        var @checked = pixels.Where(p => p.x >= firstBar + 8).ToList();
        Assert.All(trusted, p => Assert.True(p.y < nativeRow, "the 10x bar stands above the native line"));
        Assert.True(nativeRow - trusted.Min(p => p.y) > RatioChart.PlotHeight / 4, "a 10x bar is tall");
        Assert.NotEmpty(@checked);
        Assert.All(@checked, p => Assert.True(p.y > nativeRow, "the 0.5x bar hangs below it"));
        // Striped: the checked bar mixes the colour with a lighter tint of it.
        Assert.Contains(Enumerable.Range(nativeRow + 1, 4), y => chart[@checked[0].x, y] == colour.Lighter(0.6));
        Assert.Throws<ArgumentException>(() => RatioChart.Draw("t", levels, ["a"], (_, _) => 0));
    }

    [Fact]
    public void TheGeomeanOfRatiosIsTheRatioOfTheirProductsRoot()
    {
        Assert.Equal(4.0, RatioSummary.Geomean([2.0, 8.0]), 12);
        Assert.Equal(1.0, RatioSummary.Geomean([0.5, 2.0]), 12);
        Assert.Equal(1.5, RatioSummary.Geomean([1.5]), 12);
        Assert.Throws<ArgumentException>(() => RatioSummary.Geomean([]));
        Assert.Throws<ArgumentException>(() => RatioSummary.Geomean([1.0, 0.0]));
        Assert.Throws<ArgumentException>(() => RatioSummary.Geomean([double.NaN]));
    }

    [Fact]
    public void CheckedLevelsPairWithTheirUncheckedLevelWhenItRan()
    {
        Assert.Equal(
            [("jit/checked", "jit"), ("aot O3/checked", "aot O3")],
            RatioSummary.CheckedPairs(["jit", "jit/checked", "llvm-jit O3/checked", "aot O3", "aot O3/checked", "native"]));
        Assert.Empty(RatioSummary.CheckedPairs(["jit", "aot O3"]));
    }
}
