namespace Bpftime.Benchmarks;

internal static class Repository
{
    /// <summary>tests/data.</summary>
    public static string DataDirectory => Path.Combine(Root, "tests", "data");

    /// <summary>The repository's top directory, found by walking up to Bpftime.Build.sln.</summary>
    public static string Root
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Bpftime.Build.sln")))
            {
                directory = directory.Parent;
            }
            return directory is null
                ? throw new InvalidOperationException("Bpftime.Build.sln was not found above " + AppContext.BaseDirectory)
                : directory.FullName;
        }
    }
}
