namespace Bpftime.Build.Tests;

/// <summary>
/// `dotnet pack src/Bpftime.Sdk` into a local feed, once per test run: the end-to-end tests that use
/// the package share it, since packing publishes the tool and the runtime and takes minutes on a
/// small machine. The feed's folder is removed when the test process ends.
/// </summary>
internal static class PackedSdk
{
    public const string PackageFile = "Bpftime.Sdk.0.1.0.nupkg";

    private static readonly Lazy<string> s_feed = new(Pack, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The folder holding <see cref="PackageFile"/>.</summary>
    public static string Feed => s_feed.Value;

    private static string Pack()
    {
        var root = EndToEnd.CreateAwkwardDirectory("feed");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => EndToEnd.DeleteQuietly(root);
        var feed = Path.Combine(root, "feed");
        var pack = DotNetCommand.Run(Path.Combine(Bpftime.Tests.TestPaths.RepositoryRoot, "src", "Bpftime.Sdk"),
            "pack", "-tl:off", "-nodeReuse:false", "-c", DotNetCommand.BuildConfiguration, "-o", feed);
        Assert.True(pack.ExitCode == 0, pack.ToString());
        Assert.True(File.Exists(Path.Combine(feed, PackageFile)), pack.ToString());
        return feed;
    }
}
