using Bpftime.Tests;

namespace Bpftime.Build.Tests;

/// <summary>Paths and project files the end-to-end build tests share.</summary>
internal static class EndToEnd
{
    public const string ExpectedChecksumLine = "= 2527043956 (expected 2527043956)";

    public static string SampleDirectory => Path.Combine(TestPaths.RepositoryRoot, "samples", "QuickStart");

    public static string SdkBuildDirectory => Path.Combine(TestPaths.RepositoryRoot, "src", "Bpftime.Sdk", "build");

    /// <summary>A new folder whose path has a space, an @ and a non-ASCII letter, as users' paths do.</summary>
    public static string CreateAwkwardDirectory(string purpose)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"bpftime e2e @ü {purpose} {Guid.NewGuid():N}"[..^24]);
        Directory.CreateDirectory(directory);
        return directory;
    }

    /// <summary>A console app using the repository's SDK files directly (no package), as the sample does.</summary>
    public static string SourceModeProject(string items) => $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <Import Project="{Path.Combine(SdkBuildDirectory, "Bpftime.Sdk.props")}" />
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <Nullable>enable</Nullable>
            <ImplicitUsings>enable</ImplicitUsings>
          </PropertyGroup>
          <ItemGroup>
        {items}
          </ItemGroup>
          <Import Project="{Path.Combine(SdkBuildDirectory, "Bpftime.Sdk.targets")}" />
        </Project>
        """;

    public static void DeleteQuietly(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
