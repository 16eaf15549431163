using Bpftime.Isa.Conformance;

namespace Bpftime.Tests.Isa;

/// <summary>The conformance suite's files as theory rows: one row per file, or one placeholder row that skips itself when the suite is absent.</summary>
public static class ConformanceVectors
{
    public const string Absent = "(conformance vectors absent)";

    public const string SkipReason = "the conformance vectors were not found: set BPF_CONFORMANCE_DIR or place them in ../shared/conformance/bpf_conformance";

    public static TheoryData<string> TestFiles() => Rows("tests");

    public static TheoryData<string> NegativeFiles() => Rows("negative");

    public static ConformanceFile Load(string folder, string name) =>
        ConformanceFile.Load(Path.Combine(TestPaths.ConformanceDirectory!, folder, name + ".data"));

    private static TheoryData<string> Rows(string folder)
    {
        var data = new TheoryData<string>();
        var root = TestPaths.ConformanceDirectory;
        if (root is null || !Directory.Exists(Path.Combine(root, folder)))
        {
            data.Add(Absent);
            return data;
        }
        foreach (var path in Directory.EnumerateFiles(Path.Combine(root, folder), "*.data").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileNameWithoutExtension(path));
        }
        return data;
    }
}
