using Bpftime.Diagnostics;
using Bpftime.Tool;

namespace Bpftime.Tests.Tool.Commands;

/// <summary>
/// What a user sees when something goes wrong that no check foresaw, when a program was given no
/// memory, and while a slow load runs.
/// </summary>
public sealed class LastResortAndProgressTests
{
    private static readonly string Maps = ToolRunner.DataFile("bench", "maps.bpf.o");

    /// <summary>Output that fails the way no command expects: standing in for any fault inside the tool.</summary>
    private sealed class FailingWriter : StringWriter
    {
        public override void Write(char value) => throw new NotSupportedException("the output went away");

        public override void Write(string? value) => throw new NotSupportedException("the output went away");

        public override void WriteLine(string? value) => throw new NotSupportedException("the output went away");
    }

    [Fact]
    public void AnUnexpectedFaultIsOneCodedLineWithExitCode3()
    {
        var error = new StringWriter();
        var context = new ToolContext(EngineCatalog.CreateDefault(), new FailingWriter(), error, TextReader.Null);
        var exitCode = ToolMain.Run(["engines"], context);
        Assert.Equal(3, exitCode);
        var line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"bpftime: error {DiagnosticCodes.ToolInternalError}: internal error: NotSupportedException", line, StringComparison.Ordinal);
        Assert.Contains("the output went away", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bench")]
    [InlineData("run")]
    public void WithoutMemoryTheNullPointerIsExplained(string command)
    {
        string[] args = command == "bench" ? [command, Maps, "--engines", "interpreter", "--repeat", "1"] : [command, Maps];
        var result = ToolRunner.Run(args);
        Assert.Equal(2, result.ExitCode);
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        var hint = lines.FindIndex(l => l.Contains($"error {DiagnosticCodes.ToolNoMemoryGiven}: program 'array_lookup' was given no memory", StringComparison.Ordinal));
        var fault = lines.FindIndex(l => l.Contains($"error {DiagnosticCodes.NullPointerAccess}: ", StringComparison.Ordinal));
        Assert.True(hint >= 0 && fault > hint, result.Error);
        Assert.Contains("--mem FILE", lines[hint], StringComparison.Ordinal);
    }

    private static (int ExitCode, string Output, string Error) Bench(bool showProgress)
    {
        var memory = Path.GetTempFileName();
        try
        {
            // maps.bpf.o's kernels read their iteration count from the u64 at the start of the memory.
            File.WriteAllBytes(memory, [4, 0, 0, 0, 0, 0, 0, 0]);
            var output = new StringWriter();
            var error = new StringWriter();
            var context = new ToolContext(EngineCatalog.CreateDefault(), output, error, TextReader.Null, showProgress);
            var exitCode = ToolMain.Run(["bench", Maps, "--engines", "interpreter", "--repeat", "1", "--mem", memory], context);
            return (exitCode, output.ToString(), error.ToString());
        }
        finally
        {
            File.Delete(memory);
        }
    }

    [Fact]
    public void OnATerminalBenchSaysWhatItIsDoingAndHowLongVerificationTook()
    {
        var (exitCode, output, error) = Bench(showProgress: true);
        Assert.Equal(0, exitCode);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("bpftime: loading maps.bpf.o for interpreter: reading, verifying", lines[0], StringComparison.Ordinal);
        Assert.Matches(@"^bpftime: loaded maps\.bpf\.o for interpreter in \d+\.\d s, of which the verifier took \d+\.\d s for 11 program\(s\)", lines[1]);
        Assert.StartsWith("bpftime: timing 1 runs of 'array_lookup' on interpreter", lines[2], StringComparison.Ordinal);
        Assert.DoesNotContain("bpftime:", output, StringComparison.Ordinal);
    }

    [Fact]
    public void RedirectedBenchIsQuiet()
    {
        var (exitCode, output, error) = Bench(showProgress: false);
        Assert.Equal(0, exitCode);
        Assert.Empty(error);
        Assert.Contains("interpreter", output, StringComparison.Ordinal);
    }
}
