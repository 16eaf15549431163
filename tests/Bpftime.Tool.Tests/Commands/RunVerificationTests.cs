using System.Text.Json;

namespace Bpftime.Tests.Tool.Commands;

/// <summary>bpftime run verifies before it runs: leniently by default (refused programs run checked), strictly with --verify.</summary>
public sealed class RunVerificationTests
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
    public void ASafeProgramRunsVerifiedForTheMemoryItIsGiven()
    {
        var result = RunWithMemory([.. Enumerable.Range(1, 16).Select(i => (byte)i)], "run", ToolRunner.DataFile("obj", "loop_sum.bpf.o"), "--json", "--verify");
        Assert.True(result.ExitCode == 0, result.Error);
        using var document = JsonDocument.Parse(result.Output);
        Assert.Equal("0x88", document.RootElement.GetProperty("result").GetString());
        Assert.True(document.RootElement.GetProperty("verified").GetBoolean());
        Assert.Equal("", result.Error.Trim());
    }

    [Fact]
    public void VerifyRefusesAnUnsafeProgramWithTheVerifiersDiagnostics()
    {
        var result = RunWithMemory([3, 0, 0, 0], "run", ToolRunner.DataFile("obj", "verifier", "unsafe", "null_deref.bpf.o"), "--verify");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.Output.Trim());
        Assert.Matches(@"null_deref\.bpf\.c\(18,\d+\): error BPF2007: .*\[null_deref\+\d+\]", result.Error);
    }

    [Fact]
    public void ByDefaultAnUnsafeProgramRunsCheckedAndSaysWhy()
    {
        var result = RunWithMemory([3, 0, 0, 0], "run", ToolRunner.DataFile("obj", "verifier", "unsafe", "oob_index.bpf.o"), "--json");
        Assert.True(result.ExitCode == 0, result.Error);
        using var document = JsonDocument.Parse(result.Output);
        Assert.False(document.RootElement.GetProperty("verified").GetBoolean());
        Assert.Contains("error BPF2010", document.RootElement.GetProperty("verification")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("'oob_index' runs with run-time memory checks", result.Error, StringComparison.Ordinal);

        // Checked: an index past the map value faults instead of reading other memory.
        var fault = RunWithMemory([0, 1, 0, 0], "run", ToolRunner.DataFile("obj", "verifier", "unsafe", "oob_index.bpf.o"));
        Assert.Equal(2, fault.ExitCode);
        Assert.Matches(@"error BPF40\d\d", fault.Error);
    }

    [Fact]
    public void NativeCodeCountsAsVerifiedOnlyWhenTheCompilerProvedIt()
    {
        var directory = Directory.CreateTempSubdirectory("bpftime-run-verify-");
        try
        {
            var globalData = ToolRunner.DataFile("obj", "global_data.bpf.o");
            // on: checked, nothing verified it. off: unchecked on the user's word, trusted but not proved.
            // auto: the verifier proved it for the 1-byte context it reads, so --verify runs it.
            foreach (var (checks, refusal) in new[] { ("on", "BPF4116"), ("off", "BPF4118"), ("auto", null) })
            {
                var native = Path.Combine(directory.FullName, $"global_data.{checks}.o");
                var compiled = ToolRunner.Run(["compile", globalData, "-o", native, "--memory-checks", checks, "--ctx-size", "1"]);
                Assert.True(compiled.ExitCode == 0, compiled.Error);
                var result = RunWithMemory([2], "run", native, "--json", "--verify");
                if (refusal is null)
                {
                    Assert.Contains(" unchecked proved ", compiled.Output, StringComparison.Ordinal);
                    Assert.True(result.ExitCode == 0, result.Error);
                    using var document = JsonDocument.Parse(result.Output);
                    Assert.True(document.RootElement.GetProperty("verified").GetBoolean());
                }
                else
                {
                    Assert.Equal(1, result.ExitCode);
                    Assert.Contains("error " + refusal, result.Error, StringComparison.Ordinal);
                }
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
