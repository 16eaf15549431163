using System.Globalization;
using System.Text.RegularExpressions;

namespace Bpftime.Build.Tasks;

/// <summary>
/// One line the tool printed in MSBuild's canonical form,
/// <c>file(line,col): error BPF2001: message [program+insn]</c>, taken apart so that MSBuild gets
/// the file, position and code as fields (and NoWarn / WarningsAsErrors work on BPF codes).
/// </summary>
internal sealed class CanonicalDiagnostic
{
    private static readonly Regex Pattern = new(
        @"^(?<origin>.*?)(?:\((?<line>\d+)(?:,(?<column>\d+))?\))?\s*:\s*(?<category>error|warning|info)\s+(?<code>BPF\d{4})\s*:\s*(?<message>.*)$",
        RegexOptions.CultureInvariant);

    public string? File { get; private set; }

    public int Line { get; private set; }

    public int Column { get; private set; }

    public string Category { get; private set; } = "error";

    public string Code { get; private set; } = "";

    public string Message { get; private set; } = "";

    public static CanonicalDiagnostic? Parse(string line)
    {
        var match = Pattern.Match(line.TrimEnd());
        if (!match.Success)
        {
            return null;
        }
        var origin = match.Groups["origin"].Value.Trim();
        return new CanonicalDiagnostic
        {
            // "bpftime" stands for the tool itself when no file is concerned.
            File = origin.Length == 0 || origin == "bpftime" ? null : origin,
            Line = ParseNumber(match.Groups["line"].Value),
            Column = ParseNumber(match.Groups["column"].Value),
            Category = match.Groups["category"].Value,
            Code = match.Groups["code"].Value,
            Message = match.Groups["message"].Value,
        };
    }

    private static int ParseNumber(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : 0;
}
