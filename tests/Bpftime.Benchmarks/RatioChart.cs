using System.Globalization;

namespace Bpftime.Benchmarks;

/// <summary>
/// Grouped bars of every level's run time relative to native, one group per kernel, on a log scale
/// around the 1x line (bars grow up when slower than native, down when faster). Checked levels are
/// drawn striped in the colour of their trusted counterpart.
/// </summary>
internal static class RatioChart
{
    private const int BarWidth = 8;
    private const int GroupGap = 28;
    public const int Left = 64;
    public const int Top = 48;
    public const int PlotHeight = 300;
    private const int Right = 24;
    private const int LegendColumns = 4;
    private const int LegendColumnWidth = 170;

    /// <summary>The line under the title.</summary>
    public const string Legend = "each level's run time / native's; striped: checked code; below 1x: faster than native";

    private static readonly Rgb Axis = new(60, 60, 60);
    private static readonly Rgb Grid = new(215, 215, 215);

    /// <summary>Colours by engine and level; checked rows reuse their trusted row's colour.</summary>
    private static readonly (string Prefix, Rgb Colour)[] Palette =
    [
        ("interpreter", new Rgb(120, 120, 120)),
        ("jit", new Rgb(230, 120, 20)),
        ("llvm-jit O0", new Rgb(120, 170, 230)),
        ("llvm-jit O3", new Rgb(30, 90, 200)),
        ("aot O0", new Rgb(120, 200, 120)),
        ("aot O3", new Rgb(20, 130, 50)),
    ];

    private static readonly Rgb[] Fallback = [new(170, 40, 150), new(200, 40, 40), new(140, 110, 60), new(40, 160, 170)];

    public static Rgb ColourOf(string level, int index)
    {
        var trusted = TrustedName(level);
        foreach (var (prefix, colour) in Palette)
        {
            if (trusted == prefix)
            {
                return colour;
            }
        }
        return Fallback[index % Fallback.Length];
    }

    public static bool IsChecked(string level) => level.EndsWith("/checked", StringComparison.Ordinal);

    private static string TrustedName(string level) => IsChecked(level) ? level[..^"/checked".Length] : level;

    /// <param name="title">Drawn above the plot.</param>
    /// <param name="levels">Bars of each group, in order (native excluded: it is the 1x line).</param>
    /// <param name="kernels">The groups, in order.</param>
    /// <param name="ratio">Run time of a level on a kernel divided by native's; must be positive.</param>
    public static Bitmap Draw(string title, IReadOnlyList<string> levels, IReadOnlyList<string> kernels, Func<string, string, double> ratio)
    {
        if (levels.Count == 0 || kernels.Count == 0)
        {
            throw new ArgumentException("a chart needs at least one level and one kernel");
        }
        var values = kernels.SelectMany(k => levels.Select(l => ratio(l, k))).ToList();
        if (values.Any(v => !(v > 0) || double.IsInfinity(v)))
        {
            throw new ArgumentException("every ratio must be a positive number", nameof(ratio));
        }
        var lowDecade = (int)Math.Floor(Math.Log10(Math.Min(values.Min(), 0.9)));
        var highDecade = (int)Math.Ceiling(Math.Log10(Math.Max(values.Max(), 2)));
        var groupWidth = (levels.Count * BarWidth) + GroupGap;
        var plotWidth = kernels.Count * groupWidth;
        var legendRows = (levels.Count + LegendColumns - 1) / LegendColumns;
        var width = Math.Max(Left + plotWidth + Right, Bitmap.TextWidth(title, 2) + 20);
        width = Math.Max(width, Left + (LegendColumns * LegendColumnWidth));
        var height = Top + PlotHeight + 30 + (legendRows * 16) + 10;
        var bitmap = new Bitmap(width, height, Rgb.White);
        bitmap.DrawText(10, 8, title, Rgb.Black, scale: 2);
        bitmap.DrawText(10, 28, Legend, Axis);

        var bottom = Top + PlotHeight;
        int Y(double value) => bottom - (int)Math.Round((Math.Log10(value) - lowDecade) / (highDecade - lowDecade) * PlotHeight);

        // Grid: every decade labelled, 2x and 5x faint.
        for (var decade = lowDecade; decade <= highDecade; decade++)
        {
            foreach (var step in new[] { 1, 2, 5 })
            {
                var value = step * Math.Pow(10, decade);
                if (Math.Log10(value) > highDecade + 1e-9)
                {
                    continue;
                }
                var y = Y(value);
                if (step == 1)
                {
                    bitmap.HorizontalLine(Left, Left + plotWidth, y, Grid);
                    var label = value.ToString(value < 1 ? "0.###" : "0", CultureInfo.InvariantCulture) + "x";
                    bitmap.DrawText(Left - 6 - Bitmap.TextWidth(label), y - 3, label, Axis);
                }
                else
                {
                    bitmap.HorizontalLine(Left, Left + plotWidth, y, Grid.Lighter(0.5), dash: 2);
                }
            }
        }
        bitmap.VerticalLine(Left - 1, Top, bottom, Axis);

        for (var k = 0; k < kernels.Count; k++)
        {
            var groupLeft = Left + (k * groupWidth) + (GroupGap / 2);
            for (var l = 0; l < levels.Count; l++)
            {
                var value = ratio(levels[l], kernels[k]);
                var (top, low) = value >= 1 ? (Y(value), Y(1)) : (Y(1), Y(value));
                FillBar(bitmap, groupLeft + (l * BarWidth), top, BarWidth - 1, Math.Max(1, low - top), ColourOf(levels[l], l), IsChecked(levels[l]));
            }
            var name = kernels[k];
            bitmap.DrawText(groupLeft + ((levels.Count * BarWidth) - Bitmap.TextWidth(name)) / 2, bottom + 8, name, Rgb.Black);
        }
        // The native line over the bars.
        bitmap.HorizontalLine(Left, Left + plotWidth, Y(1), Rgb.Black);

        var legendTop = bottom + 30;
        for (var l = 0; l < levels.Count; l++)
        {
            var x = Left + (l % LegendColumns * LegendColumnWidth);
            var y = legendTop + (l / LegendColumns * 16);
            FillBar(bitmap, x, y, 10, 10, ColourOf(levels[l], l), IsChecked(levels[l]));
            bitmap.DrawText(x + 16, y + 2, levels[l], Rgb.Black);
        }
        return bitmap;
    }

    /// <summary>A solid bar, or for a checked level stripes of the colour over a light tint of it.</summary>
    private static void FillBar(Bitmap bitmap, int x, int y, int width, int height, Rgb colour, bool striped)
    {
        var light = colour.Lighter(0.6);
        for (var row = y; row < y + height; row++)
        {
            for (var column = x; column < x + width; column++)
            {
                bitmap[column, row] = !striped || (column + row) % 4 < 2 ? colour : light;
            }
        }
    }
}
