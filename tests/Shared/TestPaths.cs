namespace Bpftime.Tests;

/// <summary>Where the repository, its test data and the conformance vectors are.</summary>
internal static class TestPaths
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>Objects compiled from the C sources in tests/data/c (rebuilt by tests/data/build.sh).</summary>
    public static string DataDirectory => Path.Combine(RepositoryRoot, "tests", "data");

    /// <summary>
    /// The conformance suite's folder (holding tests/ and negative/), or null when it is absent:
    /// $BPF_CONFORMANCE_DIR first, then ../shared/conformance/bpf_conformance beside the repository.
    /// </summary>
    public static string? ConformanceDirectory
    {
        get
        {
            var fromEnvironment = Environment.GetEnvironmentVariable("BPF_CONFORMANCE_DIR");
            if (!string.IsNullOrEmpty(fromEnvironment))
            {
                return Directory.Exists(fromEnvironment) ? fromEnvironment : null;
            }
            var beside = Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "conformance", "bpf_conformance"));
            return Directory.Exists(beside) ? beside : null;
        }
    }

    private static string FindRepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Bpftime.Build.sln")))
            {
                return directory.FullName;
            }
            directory = directory.Parent;
        }
        throw new InvalidOperationException("Bpftime.Build.sln was not found above " + AppContext.BaseDirectory);
    }
}
