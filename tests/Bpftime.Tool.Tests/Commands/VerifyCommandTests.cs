using System.Text.Json;
using Bpftime.Engines;
using Bpftime.Tool;

namespace Bpftime.Tests.Tool.Commands;

/// <summary><c>bpftime verify</c>: exit codes, the canonical diagnostic form and the JSON report.</summary>
public sealed class VerifyCommandTests
{
    private static string Object(string relative) => Path.Combine(TestPaths.DataDirectory, "obj", "verifier", relative);

    private static (int Exit, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var context = new ToolContext(new EngineRegistry(), output, error, new StringReader(""));
        var exit = ToolMain.Run(args, context);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public void SafeObjectExitsZero()
    {
        var (exit, output, error) = Run("verify", Object("primes.bpf.o"), "--ctx-size", "64");
        Assert.True(exit == 0, output + error);
        Assert.Contains("count_primes: safe", output, StringComparison.Ordinal);
        Assert.Equal("", error);
    }

    [Fact]
    public void UnsafeObjectExitsOneWithCanonicalDiagnostics()
    {
        var (exit, output, error) = Run("verify", Object(Path.Combine("unsafe", "null_deref.bpf.o")), "--ctx-size", "64");
        Assert.Equal(1, exit);
        var line = error.Trim();
        Assert.Matches(@"null_deref\.bpf\.c\(18,\d+\): error BPF2007: R0 is map_value_or_null .*\[null_deref\+7\]$", line);
        Assert.Contains("null_deref: refused", output, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingContextSizeIsNamed()
    {
        var (exit, _, error) = Run("verify", Object("primes.bpf.o"));
        Assert.Equal(1, exit);
        Assert.Contains("BPF2004", error, StringComparison.Ordinal);
        Assert.Contains("--ctx-size", error, StringComparison.Ordinal);
    }

    [Fact]
    public void UnusableInputExitsTwoWithoutStackTrace()
    {
        var garbage = Path.Combine(Path.GetTempPath(), $"bpftime-verify-{Guid.NewGuid():N}.bpf.o");
        File.WriteAllBytes(garbage, [0x7f, (byte)'E', (byte)'L', (byte)'F', 1, 2, 3]);
        try
        {
            var (exit, _, error) = Run("verify", garbage);
            Assert.Equal(2, exit);
            Assert.Matches(@"error BPF1\d\d\d: ", error);
            Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(garbage);
        }
        var (missingExit, _, missingError) = Run("verify", "/no/such/file.bpf.o");
        Assert.Equal(2, missingExit);
        Assert.Contains("BPF1", missingError, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownProgramNameExitsTwo()
    {
        var (exit, _, error) = Run("verify", Object("primes.bpf.o"), "--program", "nope");
        Assert.Equal(2, exit);
        Assert.Contains("count_primes", error, StringComparison.Ordinal);
    }

    [Fact]
    public void JsonReportsVerdictDiagnosticsAndStatistics()
    {
        var (exit, output, _) = Run("verify", Object(Path.Combine("unsafe", "ringbuf_leak.bpf.o")), "--ctx-size", "64", "--json");
        Assert.Equal(1, exit);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.Equal("refused", root.GetProperty("verdict").GetString());
        var program = root.GetProperty("programs")[0];
        Assert.Equal("ringbuf_leak", program.GetProperty("name").GetString());
        var diagnostic = program.GetProperty("diagnostics")[0];
        Assert.Equal("BPF2016", diagnostic.GetProperty("code").GetString());
        Assert.True(diagnostic.GetProperty("line").GetInt32() > 0);
        Assert.True(program.GetProperty("stats").GetProperty("instructionsProcessed").GetInt32() > 0);
    }

    [Fact]
    public void JsonReportsStatesKeptAndTheirMemory()
    {
        var (exit, output, _) = Run("verify", Object("log2_array.bpf.o"), "--ctx-size", "64", "--json");
        Assert.Equal(0, exit);
        var stats = JsonDocument.Parse(output).RootElement.GetProperty("programs")[0].GetProperty("stats");
        var kept = stats.GetProperty("statesKept").GetInt32();
        var peak = stats.GetProperty("peakStates").GetInt32();
        Assert.True(kept > 0 && peak > 0, output);
        // Each state holds at least its 512-byte stack.
        Assert.True(stats.GetProperty("peakStateBytes").GetInt64() >= peak * 512L, output);
        Assert.Equal(JsonValueKind.Number, stats.GetProperty("statesJoined").ValueKind);
    }

    [Fact]
    public void NoPruneExploresMoreStates()
    {
        var (_, pruned, _) = Run("verify", Object("log2_array.bpf.o"), "--ctx-size", "64", "--json");
        var (_, unpruned, _) = Run("verify", Object("log2_array.bpf.o"), "--ctx-size", "64", "--json", "--no-prune");
        int Processed(string text) => JsonDocument.Parse(text).RootElement.GetProperty("programs")[0].GetProperty("stats").GetProperty("instructionsProcessed").GetInt32();
        Assert.True(Processed(unpruned) > Processed(pruned));
    }

    [Fact]
    public void HelperSetAndBudgetOptions()
    {
        // The conformance set lacks bpf_ringbuf_reserve: the ring-buffer program is refused against it.
        var (exit, _, error) = Run("verify", Object("ringbuf.bpf.o"), "--ctx-size", "64", "--helpers", "conformance");
        Assert.Equal(1, exit);
        Assert.Contains("BPF2019", error, StringComparison.Ordinal);
        Assert.Equal(0, Run("verify", Object("ringbuf.bpf.o"), "--ctx-size", "64", "--helpers", "default").Exit);
        Assert.Equal(2, Run("verify", Object("ringbuf.bpf.o"), "--helpers", "nope").Exit);

        var (budgetExit, _, budgetError) = Run("verify", Object("primes.bpf.o"), "--ctx-size", "64", "--max-insns", "1000");
        Assert.Equal(1, budgetExit);
        Assert.Contains("BPF2015", budgetError, StringComparison.Ordinal);
    }
}
