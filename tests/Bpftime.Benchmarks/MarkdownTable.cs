namespace Bpftime.Benchmarks;

/// <summary>A table printed as Markdown with aligned columns, so the harness output pastes into docs/benchmarks.md.</summary>
internal sealed class MarkdownTable(params string[] header)
{
    private readonly List<string[]> _rows = [];

    public void Add(params string[] cells) => _rows.Add(cells);

    public void Write(TextWriter output)
    {
        var widths = header.Select((h, i) => Math.Max(h.Length, _rows.Select(r => i < r.Length ? r[i].Length : 0).DefaultIfEmpty(0).Max())).ToArray();
        output.WriteLine(Line(header, widths));
        output.WriteLine("|" + string.Join("|", widths.Select((w, i) => i == 0 ? new string('-', w + 2) : new string('-', w + 1) + ":")) + "|");
        foreach (var row in _rows)
        {
            output.WriteLine(Line(row, widths));
        }
        output.WriteLine();
    }

    private static string Line(string[] cells, int[] widths) =>
        "| " + string.Join(" | ", widths.Select((w, i) => i == 0 ? (i < cells.Length ? cells[i] : "").PadRight(w) : (i < cells.Length ? cells[i] : "").PadLeft(w))) + " |";
}
