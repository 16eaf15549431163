namespace Bpftime.Build.Tests;

/// <summary>
/// The packed SDK (<see cref="PackedSdk"/>), then fresh projects outside the repository (path with a space, @
/// and a non-ASCII letter) that use only that package from a local folder: once as
/// Sdk="Bpftime.Sdk/0.1.0" and once through a PackageReference, each with two objects of one file
/// name in different folders and a C source compiled by the build. Both build and run native code;
/// on x86-64 the PackageReference app is also published ReadyToRun and run from there.
/// </summary>
[Collection(nameof(BuildCollection))]
public sealed class PackageTests
{
    [Fact]
    public void PackedSdkBuildsAndRunsFreshProjectsBothWays()
    {
        var root = EndToEnd.CreateAwkwardDirectory("package");
        try
        {
            var feed = PackedSdk.Feed;
            AssertRuntimeIsPrecompiled(Path.Combine(feed, PackedSdk.PackageFile));

            // Packages come from the local feed only, restored into a private folder.
            Bpftime.Tests.LocalPackageFeed.WriteConfig(root, feed);

            BuildAndRun(root, "SdkStyle", """<Project Sdk="Bpftime.Sdk/0.1.0">""", "");
            BuildAndRun(root, "PackageRef", """<Project Sdk="Microsoft.NET.Sdk">""", """<PackageReference Include="Bpftime.Sdk" Version="0.1.0" />""");
            if (System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64)
            {
                PublishReadyToRunAndRun(Path.Combine(root, "PackageRef app"), "PackageRef");
            }
        }
        finally
        {
            EndToEnd.DeleteQuietly(root);
        }
    }

    /// <summary>The runtime an app references carries ReadyToRun code (a managed native header), so its loader is not compiled at start-up.</summary>
    private static void AssertRuntimeIsPrecompiled(string package)
    {
        using var archive = System.IO.Compression.ZipFile.OpenRead(package);
        var entry = archive.GetEntry("lib/net10.0/Bpftime.Runtime.dll");
        Assert.NotNull(entry);
        using var image = new MemoryStream();
        using (var stream = entry.Open())
        {
            stream.CopyTo(image);
        }
        Assert.True(IsReadyToRun(image), "lib/net10.0/Bpftime.Runtime.dll in the package is not a ReadyToRun image");
    }

    private static bool IsReadyToRun(Stream image)
    {
        image.Position = 0;
        using var reader = new System.Reflection.PortableExecutable.PEReader(image, System.Reflection.PortableExecutable.PEStreamOptions.LeaveOpen);
        return reader.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory.Size > 0;
    }

    /// <summary>
    /// Published ReadyToRun, the app's own code is precompiled too, the generated accessors included,
    /// and the published app runs its embedded programs as the built one does.
    /// </summary>
    private static void PublishReadyToRunAndRun(string directory, string name)
    {
        var output = Path.Combine(directory, "published");
        var publish = DotNetCommand.Run(directory, "publish", "-nologo", "-c", DotNetCommand.BuildConfiguration, "-r", "linux-x64", "--self-contained", "false",
            "-p:PublishReadyToRun=true", "-o", output);
        Assert.True(publish.ExitCode == 0, $"{name} publish: {publish}");
        using (var app = File.OpenRead(Path.Combine(output, name + ".dll")))
        {
            Assert.True(IsReadyToRun(app), $"{name}.dll published with PublishReadyToRun is not a ReadyToRun image");
        }
        var run = DotNetCommand.Run(output, "exec", Path.Combine(output, name + ".dll"));
        Assert.True(run.ExitCode == 0, $"{name} published: {run}");
        Assert.Contains("engine: aot", run.Output, StringComparison.Ordinal);
        Assert.Contains(EndToEnd.ExpectedChecksumLine, run.Output, StringComparison.Ordinal);
    }

    private static void BuildAndRun(string root, string name, string projectElement, string reference)
    {
        var directory = Path.Combine(root, name + " app");
        Directory.CreateDirectory(Path.Combine(directory, "nested"));
        File.Copy(Path.Combine(EndToEnd.SampleDirectory, "filter.bpf.o"), Path.Combine(directory, "filter.bpf.o"));
        // A second object of the same file name in another folder must not clash with the first.
        File.Copy(Path.Combine(EndToEnd.SampleDirectory, "filter.bpf.o"), Path.Combine(directory, "nested", "filter.bpf.o"));
        // And C source compiled with clang by the build (BpfSource), named from its folder.
        Directory.CreateDirectory(Path.Combine(directory, "csrc"));
        File.Copy(Path.Combine(EndToEnd.SampleDirectory, "filter.bpf.c"), Path.Combine(directory, "csrc", "filter.bpf.c"));
        File.Copy(Path.Combine(EndToEnd.SampleDirectory, "Program.cs"), Path.Combine(directory, "Program.cs"));
        // Compiling proves each object got its own accessor class.
        File.AppendAllText(Path.Combine(directory, "Program.cs"), """

            static class Accessors
            {
                public static Type[] All => [typeof(Bpf.Filter), typeof(Bpf.NestedFilter), typeof(Bpf.CsrcFilter)];
            }
            """);
        File.WriteAllText(Path.Combine(directory, name + ".csproj"), $"""
            {projectElement}
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <!-- The sample's checksum() reads up to 64 bytes at r1. -->
                <BpfContextSize>64</BpfContextSize>
              </PropertyGroup>
              <ItemGroup>
                {reference}
                <BpfProgram Include="filter.bpf.o" />
                <BpfProgram Include="nested/filter.bpf.o" />
                <BpfSource Include="csrc/filter.bpf.c" />
              </ItemGroup>
            </Project>
            """);

        // A fresh clone opened in an IDE: the design-time build comes first and must already give the
        // skeletons of the listed objects (the C source is compiled only by a real build).
        var design = DotNetCommand.Run(directory, "msbuild", "-restore", "-nologo", "-nodeReuse:false", "-v:m", "-t:Compile",
            "-p:DesignTimeBuild=true", "-p:SkipCompilerExecution=true", "-p:ProvideCommandLineArgs=true", "-p:Configuration=" + DotNetCommand.BuildConfiguration);
        Assert.True(design.ExitCode == 0, $"{name}: {design}");
        Assert.Contains("bpftime: writing the skeletons of 2 eBPF object(s)", design.Output, StringComparison.Ordinal);
        var skeletons = Path.Combine(directory, "obj", DotNetCommand.BuildConfiguration, "net10.0", "bpftime");
        Assert.Contains("internal sealed partial class Filter", File.ReadAllText(Path.Combine(skeletons, "filter.g.cs")), StringComparison.Ordinal);
        Assert.Contains("internal sealed partial class NestedFilter", File.ReadAllText(Path.Combine(skeletons, "nested.filter.g.cs")), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(skeletons, "filter.linux-x64.o")), $"{name}: a design-time build ran LLVM");

        // The real build compiles Program.cs (the sample's, using the typed skeleton) against them.
        var build = DotNetCommand.Build(directory);
        Assert.True(build.ExitCode == 0, $"{name}: {build}");
        Assert.Contains("bpftime: compiling 3 eBPF object(s)", build.Output, StringComparison.Ordinal);

        var run = DotNetCommand.Run(directory, "exec", Path.Combine(directory, "bin", DotNetCommand.BuildConfiguration, "net10.0", name + ".dll"));
        Assert.True(run.ExitCode == 0, $"{name}: {run}");
        Assert.Contains("engine: aot", run.Output, StringComparison.Ordinal);
        Assert.Contains(EndToEnd.ExpectedChecksumLine, run.Output, StringComparison.Ordinal);
        Assert.Contains("libLLVM mapped: no", run.Output, StringComparison.Ordinal);
    }
}
