namespace Bpftime.Tests.Corpus;

/// <summary>
/// One row of tests/data/corpus/prevail-verdicts.tsv: a section (or one named program of it) of a corpus
/// object and PREVAIL's verdict on it.
/// </summary>
public sealed record PrevailRow(string Project, string File, string Section, string? Program, PrevailVerdict Verdict)
{
    /// <summary>The program unsafe by PREVAIL's account, so a verifier must refuse it.</summary>
    public bool IsUnsafe => Verdict is PrevailVerdict.Rejected or PrevailVerdict.FailsShouldReject;

    public string Key => $"{Project}/{File} {Section}{(Program is null ? string.Empty : " " + Program)}";

    public override string ToString() => Key;

    public static IReadOnlyList<PrevailRow> Load(string path)
    {
        var rows = new List<PrevailRow>();
        var header = true;
        foreach (var line in System.IO.File.ReadLines(path))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            if (header)
            {
                header = false;
                continue;
            }
            var fields = line.Split('\t');
            if (fields.Length < 5)
            {
                throw new FormatException($"{path}: '{line}' has {fields.Length} fields; expected project, file, section, program, verdict, note");
            }
            rows.Add(new PrevailRow(fields[0], fields[1], fields[2], fields[3].Length == 0 ? null : fields[3], ParseVerdict(fields[4])));
        }
        return rows;
    }

    private static PrevailVerdict ParseVerdict(string text) => text switch
    {
        "accepted" => PrevailVerdict.Accepted,
        "rejected" => PrevailVerdict.Rejected,
        "fails-should-pass" => PrevailVerdict.FailsShouldPass,
        "fails-should-reject" => PrevailVerdict.FailsShouldReject,
        _ => throw new FormatException($"unknown verdict '{text}'"),
    };
}
