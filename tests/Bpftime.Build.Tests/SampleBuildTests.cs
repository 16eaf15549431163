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

        File.SetLastWriteTimeUtc(Path.Combine(sample, "filter.bpf.o"), DateTime.UtcNow);
        var touched = DotNetCommand.Build(sample);
        Assert.True(touched.ExitCode == 0, touched.ToString());
        Assert.Contains("bpftime: compiling 1 eBPF object(s)", touched.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void ARejectedProgramFailsTheBuildAtItsCSourceLine()
    {
        // Until the verifier exists the build's check is the structural validator: an undefined
        // opcode patched into the sample's object (the `hash * multiplier` multiply, slot 6).
        var directory = EndToEnd.CreateAwkwardDirectory("rejected");
        try
        {
            var bytes = File.ReadAllBytes(Path.Combine(EndToEnd.SampleDirectory, "filter.bpf.o"));
            var multiply = bytes.AsSpan().IndexOf((ReadOnlySpan<byte>)[0x2f, 0x05, 0, 0, 0, 0, 0, 0]);
            Assert.True(multiply > 0, "the sample object no longer has the expected multiply");
            bytes[multiply] = 0xff;
            File.WriteAllBytes(Path.Combine(directory, "bad.bpf.o"), bytes);
            File.Copy(Path.Combine(EndToEnd.SampleDirectory, "filter.bpf.c"), Path.Combine(directory, "filter.bpf.c"));
            File.WriteAllText(Path.Combine(directory, "Rejected.csproj"), EndToEnd.SourceModeProject("""<BpfProgram Include="bad.bpf.o" />"""));
            File.WriteAllText(Path.Combine(directory, "Program.cs"), "return 0;\n");

            var build = DotNetCommand.Build(directory);

            Assert.NotEqual(0, build.ExitCode);
            var expected = $"{Path.Combine(directory, "filter.bpf.c")}(24,21): error BPF1102: ";
            Assert.True(build.Output.Contains(expected, StringComparison.Ordinal), $"expected '{expected}' in:\n{build}");
            Assert.Contains("[checksum+6]", build.Output, StringComparison.Ordinal);
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
