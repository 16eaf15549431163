using Bpftime.Diagnostics;

namespace Bpftime.Tests.Tool.Commands;

/// <summary>
/// A target CPU LLVM does not know made it print a warning six times and abort the process (exit
/// 134); a 32-bit x86 CPU aborted it the same way. Both are now refused with BPF3031 before LLVM
/// generates code. Run as processes: an abort cannot be caught in process.
/// </summary>
public sealed class TargetCpuTests
{
    private static readonly string GlobalData = ToolRunner.DataFile("obj", "global_data.bpf.o");

    [Theory]
    [InlineData("bogus", "x86_64")]
    [InlineData("i686", "x86_64")]
    [InlineData("pentium4", "x86_64")]
    [InlineData("bogus", "aarch64")]
    public void AnUnusableCpuIsOneCodedLineNotAnAbort(string cpu, string target)
    {
        var output = Path.Combine(Path.GetTempPath(), $"bpftime-cpu-{Guid.NewGuid():n}.o");
        var result = ToolRunner.RunProcess(["compile", GlobalData, "-o", output, "--cpu", cpu, "--target", target]);
        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"bpftime: error {DiagnosticCodes.TargetCpuUnknown}: target CPU '{cpu}'", line, StringComparison.Ordinal);
        Assert.DoesNotContain("LLVM ERROR", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Theory]
    [InlineData("x86-64-v2", "x86_64")]
    [InlineData("nocona", "x86_64")]
    [InlineData("neoverse-n1", "aarch64")]
    public void AKnownCpuStillCompilesAndLeavesStderrQuiet(string cpu, string target)
    {
        var output = Path.Combine(Path.GetTempPath(), $"bpftime-cpu-{Guid.NewGuid():n}.o");
        try
        {
            var result = ToolRunner.RunProcess(["compile", GlobalData, "-o", output, "--cpu", cpu, "--target", target]);
            Assert.True(result.ExitCode == 0, result.Error);
            Assert.DoesNotContain("not a recognized", result.Error, StringComparison.Ordinal);
            Assert.True(File.Exists(output));
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public void InProcessAnUnknownCpuIsRefusedWithoutStoppingTheHost()
    {
        var result = ToolRunner.Run(["compile", GlobalData, "-o", Path.Combine(Path.GetTempPath(), "unused-cpu.o"), "--cpu", "not-a-cpu"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(DiagnosticCodes.TargetCpuUnknown, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void TheBuildReportsAnUnknownCpuAsADiagnosticNotACrash()
    {
        // Through the build the abort showed only as "exited with code 134 without reporting a diagnostic".
        var directory = Directory.CreateTempSubdirectory("bpftime-cpu-build-");
        try
        {
            var manifest = Path.Combine(directory.FullName, "bpftime.build.json");
            string Out(string name) => System.Text.Json.JsonSerializer.Serialize(Path.Combine(directory.FullName, name));
            File.WriteAllText(manifest, $$"""
                {"format": 1, "namespace": "Cpu", "objects": [{
                  "source": {{System.Text.Json.JsonSerializer.Serialize(GlobalData)}}, "targetCpu": "bogus", "contextSize": "8",
                  "runtimeIdentifier": "linux-x64", "triple": "x86_64-unknown-linux-gnu",
                  "bytecodeCopy": {{Out("g.bpf.o")}}, "nativeObject": {{Out("g.native.o")}}, "accessor": {{Out("G.g.cs")}}}]}
                """);
            var result = ToolRunner.RunProcess(["build", "--manifest", manifest]);
            Assert.Equal(1, result.ExitCode);
            Assert.Contains($": error {DiagnosticCodes.TargetCpuUnknown}: target CPU 'bogus'", result.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("LLVM ERROR", result.Error, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
