namespace Bpftime.Tests.Conformance;

/// <summary>
/// The conformance vectors as xunit data: one row per file of the suite's tests/ folder, sorted by
/// name. When the suite is absent there is one placeholder row, which the test skips with a reason.
/// </summary>
internal static class ConformanceCases
{
    /// <summary>The row given when the vectors are absent.</summary>
    public const string Placeholder = "(conformance vectors not found)";

    public const string SkipReason = "conformance vectors not found: set BPF_CONFORMANCE_DIR or place ../shared/conformance";

    /// <summary>The suite's tests/ folder, or null when absent.</summary>
    public static string? TestsDirectory =>
        TestPaths.ConformanceDirectory is { } root && Directory.Exists(Path.Combine(root, "tests"))
            ? Path.Combine(root, "tests")
            : null;

    /// <summary>File names (e.g. <c>add.data</c>), for <c>[MemberData(nameof(ConformanceCases.Files), MemberType = typeof(ConformanceCases))]</c>.</summary>
    public static TheoryData<string> Files
    {
        get
        {
            var data = new TheoryData<string>();
            var directory = TestsDirectory;
            if (directory is null)
            {
                data.Add(Placeholder);
                return data;
            }
            foreach (var file in Directory.EnumerateFiles(directory, "*.data").Select(Path.GetFileName).Order(StringComparer.Ordinal))
            {
                data.Add(file!);
            }
            return data;
        }
    }
}
