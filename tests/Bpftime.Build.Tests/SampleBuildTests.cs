using Bpftime.Tests;

namespace Bpftime.Build.Tests;

/// <summary>
/// samples/QuickStart built with the real `dotnet build` from this repository's SDK files: it
/// embeds native code, runs it without LLVM in the process, and a second build with no change does
/// not run the bpftime tool while touching the object does.
/// </summary>
[Collection(nameof(BuildCollection))]
public sealed class SampleBuildTests
{
    [Fact]
    public void SampleRunsNativeCodeWithoutLlvmAndRebuildsOnlyWhenTheObjectChanges()
    {
        var sample = EndToEnd.SampleDirectory;
        var build = DotNetCommand.Build(sample);
        Assert.True(build.ExitCode == 0, build.ToString());

        var app = Path.Combine(sample, "bin", DotNetCommand.BuildConfiguration, "net10.0", "QuickStart.dll");
        var run = DotNetCommand.Run(sample, "exec", app);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("engine: aot", run.Output, StringComparison.Ordinal);
        // The build verified checksum() (ContextSize="64" in the csproj), so its native code runs unchecked.
        Assert.Contains("verified: yes", run.Output, StringComparison.Ordinal);
        Assert.Contains(EndToEnd.ExpectedChecksumLine, run.Output, StringComparison.Ordinal);
        Assert.Contains("packets_seen = 2, bytes_seen = 44", run.Output, StringComparison.Ordinal);
        Assert.Contains("libLLVM mapped: no", run.Output, StringComparison.Ordinal);

        // The embedded bytecode is the fallback: same result on the interpreter.
        var interpreted = DotNetCommand.Run(sample, new Dictionary<string, string> { ["BPFTIME_ENGINE"] = "interpreter" }, "exec", app);
        Assert.Contains("engine: interpreter", interpreted.Output, StringComparison.Ordinal);
        Assert.Contains(EndToEnd.ExpectedChecksumLine, interpreted.Output, StringComparison.Ordinal);

        var unchanged = DotNetCommand.Build(sample);
        Assert.True(unchanged.ExitCode == 0, unchanged.ToString());
        Assert.DoesNotContain("bpftime: compiling", unchanged.Output, StringComparison.Ordinal);

        // Touched but identical: the tool runs again, yet rewrites no output, so no C# is compiled again.
        var outputs = Path.Combine(sample, "obj", DotNetCommand.BuildConfiguration, "net10.0", "bpftime");
        string[] kept = [Path.Combine(outputs, "filter.g.cs"), Path.Combine(outputs, "filter.bpf.o"), Path.Combine(outputs, "filter.linux-x64.o"), app];
        var before = kept.Select(File.GetLastWriteTimeUtc).ToArray();
        File.SetLastWriteTimeUtc(Path.Combine(sample, "filter.bpf.o"), DateTime.UtcNow);
        var touched = DotNetCommand.Build(sample);
        Assert.True(touched.ExitCode == 0, touched.ToString());
        Assert.Contains("bpftime: compiling 1 eBPF object(s)", touched.Output, StringComparison.Ordinal);
        Assert.Contains("1 verified", touched.Output, StringComparison.Ordinal);
        Assert.Equal(before, kept.Select(File.GetLastWriteTimeUtc).ToArray());
    }

    [Fact]
    public void EmbeddedNativeCodeLinkedFromItsMetadataMatchesTheBytecodeAndStillOffersTheObjectFile()
    {
        var sample = EndToEnd.SampleDirectory;
        var build = DotNetCommand.Build(sample);
        Assert.True(build.ExitCode == 0, build.ToString());
        var assembly = System.Reflection.Assembly.LoadFrom(Path.Combine(sample, "bin", DotNetCommand.BuildConfiguration, "net10.0", "QuickStart.dll"));
        var memory = new byte[64];
        "Hello, eBPF from .NET!"u8.CopyTo(memory);

        var lines = new List<string>();
        using var native = Hosting.BpfObject.LoadEmbedded("filter", assembly, new Hosting.BpfLoadOptions { ReadEnvironment = false, ContextSize = 64, Log = lines.Add });
        using var interpreted = Hosting.BpfObject.LoadEmbedded("filter", assembly, new Hosting.BpfLoadOptions { ReadEnvironment = false, ContextSize = 64, Engine = "interpreter" });

        Assert.True(native.IsNativeCode, string.Join("\n", lines));
        Assert.Equal("aot", native.EngineName);
        Assert.True(native.Programs["checksum"].IsVerified);
        Assert.Equal(interpreted.Programs["checksum"].Run(memory), native.Programs["checksum"].Run(memory));
        Assert.Equal(interpreted.Maps.Keys.Order(), native.Maps.Keys.Order());
        Assert.Equal(((Maps.ArrayMap)interpreted.Maps[".bss"]).GetValue(0), ((Maps.ArrayMap)native.Maps[".bss"]).GetValue(0));
        Assert.Equal(((Maps.ArrayMap)interpreted.Maps[".rodata"]).ReadValue(0), ((Maps.ArrayMap)native.Maps[".rodata"]).ReadValue(0));
        // The bytecode object is read when asked for: programs with their instructions, BTF.
        Assert.Equal(Objects.ObjectKind.Elf, native.File.Kind);
        Assert.NotEmpty(native.File.FindProgram("checksum")!.Instructions);
        Assert.NotNull(native.File.Btf);
    }

    [Fact]
    public void ARejectedProgramFailsTheBuildAtItsCSourceLine()
    {
        // The verifier refuses unchecked_lookup.bpf.c: line 20 adds to a map lookup's result without a NULL check.
        var directory = EndToEnd.CreateAwkwardDirectory("rejected");
        try
        {
            File.Copy(Path.Combine(TestPaths.DataDirectory, "obj", "build", "unchecked_lookup.bpf.o"), Path.Combine(directory, "unchecked_lookup.bpf.o"));
            File.Copy(Path.Combine(TestPaths.DataDirectory, "c", "build", "unchecked_lookup.bpf.c"), Path.Combine(directory, "unchecked_lookup.bpf.c"));
            File.WriteAllText(Path.Combine(directory, "Rejected.csproj"), EndToEnd.SourceModeProject("""<BpfProgram Include="unchecked_lookup.bpf.o" />"""));
            File.WriteAllText(Path.Combine(directory, "Program.cs"), "return 0;\n");

            var build = DotNetCommand.Build(directory);

            Assert.NotEqual(0, build.ExitCode);
            var expected = $"{Path.Combine(directory, "unchecked_lookup.bpf.c")}(20,12): error BPF2007: ";
            Assert.True(build.Output.Contains(expected, StringComparison.Ordinal), $"expected '{expected}' in:\n{build}");
            Assert.Contains("[count_packet+7]", build.Output, StringComparison.Ordinal);

            // Verify=false builds it anyway, as checked native code.
            File.WriteAllText(Path.Combine(directory, "Rejected.csproj"),
                EndToEnd.SourceModeProject("""<BpfProgram Include="unchecked_lookup.bpf.o" Verify="false" />"""));
            var unverified = DotNetCommand.Build(directory);
            Assert.True(unverified.ExitCode == 0, unverified.ToString());
            Assert.Contains("not verified (Verify=false)", unverified.Output, StringComparison.Ordinal);
            Assert.Contains("1 checked", unverified.Output, StringComparison.Ordinal);
        }
        finally
        {
            EndToEnd.DeleteQuietly(directory);
        }
    }

    [Fact]
    public void AProgramThatReadsItsContextNeedsAContextSize()
    {
        // The sample's checksum() reads up to 64 bytes at r1: with the default BpfContextSize (0) the verifier refuses it.
        var directory = EndToEnd.CreateAwkwardDirectory("context");
        try
        {
            File.Copy(Path.Combine(EndToEnd.SampleDirectory, "filter.bpf.o"), Path.Combine(directory, "filter.bpf.o"));
            File.Copy(Path.Combine(EndToEnd.SampleDirectory, "filter.bpf.c"), Path.Combine(directory, "filter.bpf.c"));
            File.WriteAllText(Path.Combine(directory, "Context.csproj"), EndToEnd.SourceModeProject("""<BpfProgram Include="filter.bpf.o" />"""));
            File.WriteAllText(Path.Combine(directory, "Program.cs"), "return 0;\n");

            var build = DotNetCommand.Build(directory);
            Assert.NotEqual(0, build.ExitCode);
            Assert.Contains($"{Path.Combine(directory, "filter.bpf.c")}(24,", build.Output, StringComparison.Ordinal);
            Assert.Contains("error BPF2004: ", build.Output, StringComparison.Ordinal);

            File.WriteAllText(Path.Combine(directory, "Context.csproj"),
                EndToEnd.SourceModeProject("""<BpfProgram Include="filter.bpf.o" ContextSize="64" />"""));
            var sized = DotNetCommand.Build(directory);
            Assert.True(sized.ExitCode == 0, sized.ToString());
            Assert.Contains("1 verified", sized.Output, StringComparison.Ordinal);
            Assert.Contains("unchecked", sized.Output, StringComparison.Ordinal);
        }
        finally
        {
            EndToEnd.DeleteQuietly(directory);
        }
    }
}

/// <summary>Builds share the repository's outputs: run them one at a time.</summary>
[CollectionDefinition(nameof(BuildCollection), DisableParallelization = true)]
public sealed class BuildCollection;
