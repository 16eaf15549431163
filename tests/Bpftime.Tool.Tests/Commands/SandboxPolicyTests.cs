namespace Bpftime.Tests.Tool.Commands;

/// <summary>What the host grants on the command line: the helper set, the memory of the maps, and whether compiled code is proved or trusted.</summary>
public sealed class SandboxPolicyTests
{
    private static ToolRunner.Result RunWithMemory(byte[] memory, params string[] args)
    {
        var mem = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(mem, memory);
            return ToolRunner.Run([.. args, "--mem", mem]);
        }
        finally
        {
            File.Delete(mem);
        }
    }

    [Fact]
    public void RunRefusesMapsOverMaxMapMemory()
    {
        var globalData = ToolRunner.DataFile("obj", "global_data.bpf.o");
        var refused = RunWithMemory([2], "run", globalData, "--max-map-memory", "0");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("error BPF4226", refused.Error, StringComparison.Ordinal);

        var allowed = RunWithMemory([2], "run", globalData, "--max-map-memory", "1M");
        Assert.True(allowed.ExitCode == 0, allowed.Error);
        var unlimited = RunWithMemory([2], "run", globalData, "--max-map-memory", "none");
        Assert.Equal(allowed.Output, unlimited.Output);

        var bad = RunWithMemory([2], "run", globalData, "--max-map-memory", "12Q");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("is not a memory size", bad.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownHelperSetListsTheOnesThereAre()
    {
        var result = RunWithMemory([2], "run", ToolRunner.DataFile("obj", "global_data.bpf.o"), "--helpers", "everything");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no helper set named 'everything'", result.Error, StringComparison.Ordinal);
        Assert.Contains("default", result.Error, StringComparison.Ordinal);
        Assert.Contains("\"tracing\" is the opt-in for helpers that read host memory", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void TheTracingSetIsAcceptedByRunAndVerify()
    {
        var globalData = ToolRunner.DataFile("obj", "global_data.bpf.o");
        var run = RunWithMemory([2], "run", globalData, "--helpers", "tracing");
        Assert.True(run.ExitCode == 0, "bpftime run must accept --helpers tracing (the runtime's set of that name): " + run.Error);
        var verify = ToolRunner.Run(["verify", globalData, "--ctx-size", "1", "--helpers", "tracing"]);
        Assert.True(verify.ExitCode == 0, "bpftime verify must accept --helpers tracing: " + verify.Output + verify.Error);
    }

    [Fact]
    public void CompileAutoProvesWhatTheVerifierAcceptsAndChecksTheRest()
    {
        var directory = Directory.CreateTempSubdirectory("bpftime-compile-auto-");
        try
        {
            var native = Path.Combine(directory.FullName, "oob.o");
            var result = ToolRunner.Run(["compile", ToolRunner.DataFile("obj", "verifier", "unsafe", "oob_index.bpf.o"), "-o", native, "--memory-checks", "auto", "--ctx-size", "4"]);
            Assert.True(result.ExitCode == 0, result.Error);
            Assert.Contains("checked", result.Output, StringComparison.Ordinal);
            Assert.Contains("'oob_index' is compiled with run-time memory checks: the verifier refused it", result.Error, StringComparison.Ordinal);
            Assert.Contains("error BPF2010", result.Error, StringComparison.Ordinal);

            // The checked code faults on the index the verifier worried about instead of reading past the value.
            var fault = RunWithMemory([0, 1, 0, 0], "run", native);
            Assert.Equal(2, fault.ExitCode);
            Assert.Matches(@"error BPF40\d\d", fault.Error);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void NativeCodeProvedForAContextRefusesLessMemory()
    {
        var directory = Directory.CreateTempSubdirectory("bpftime-compile-ctx-");
        try
        {
            var native = Path.Combine(directory.FullName, "memcpy.o");
            var compiled = ToolRunner.Run(["compile", ToolRunner.DataFile("obj", "verifier", "memcpy.bpf.o"), "-o", native, "--memory-checks", "auto", "--ctx-size", "64"]);
            Assert.True(compiled.ExitCode == 0, compiled.Error);
            Assert.Contains(" unchecked proved ", compiled.Output, StringComparison.Ordinal);
            var shortRun = RunWithMemory(new byte[8], "run", native);
            Assert.Equal(2, shortRun.ExitCode);
            Assert.Contains("error BPF4115", shortRun.Error, StringComparison.Ordinal);
            var fullRun = RunWithMemory(Enumerable.Repeat((byte)1, 64).ToArray(), "run", native);
            Assert.True(fullRun.ExitCode == 0, fullRun.Error);
            Assert.Equal("0x20", fullRun.Output.Trim());
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
