namespace Bpftime.Benchmarks;

internal static class Repository
{
    /// <summary>tests/data, found by walking up to Bpftime.Build.sln.</summary>
    public static string DataDirectory
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
                : Path.Combine(directory.FullName, "tests", "data");
        }
    }
}
