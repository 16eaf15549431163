namespace Bpftime.Tests;

/// <summary>A NuGet.config for projects that must take Bpftime.Sdk from a freshly packed local folder.</summary>
internal static class LocalPackageFeed
{
    /// <summary>
    /// Writes <paramref name="root"/>/NuGet.config: packages come from <paramref name="feed"/> only,
    /// everything else from the user's cache, and restored packages go to a private folder under
    /// <paramref name="root"/>, so no stale copy of the package is ever reused.
    /// </summary>
    public static void WriteConfig(string root, string feed)
    {
        var userPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        File.WriteAllText(Path.Combine(root, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config><add key="globalPackagesFolder" value="{Path.Combine(root, "packages")}" /></config>
              <packageSources><clear /><add key="local" value="{feed}" /></packageSources>
              <fallbackPackageFolders><clear /><add key="user" value="{userPackages}" /></fallbackPackageFolders>
            </configuration>
            """);
    }
}
