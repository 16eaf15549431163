using Bpftime.Diagnostics;

namespace Bpftime.Tests.Tool.Commands;

/// <summary>
/// Command-line mistakes as a new user makes them: each is one coded line and exit code 2, never
/// a stack trace; inputs that are not programs are named for what they are.
/// </summary>
public sealed class UsageErrorTests
{
    private static readonly string GlobalData = ToolRunner.DataFile("obj", "global_data.bpf.o");

    public static TheoryData<string[]> BadArguments => new()
    {
        { ["run", GlobalData, "--repeat", "abc"] },
        { ["run", GlobalData, "--repeat", "99999999999"] },
        { ["run", GlobalData, "--repeat", "0"] },
        { ["run", GlobalData, "--opt", "x"] },
        { ["run", GlobalData, "--opt", "9"] },
        { ["run", GlobalData, "--budget", "lots"] },
        { ["run", GlobalData, "--budget", "0"] },
        { ["run", GlobalData, "--engine", "nope"] },
        { ["run", GlobalData, "--no-such-option"] },
        { ["run"] },
        { ["compile", GlobalData, "-o", "unused.o", "--opt", "x"] },
        { ["compile", GlobalData, "-o", "unused.o", "--ctx-size", "big"] },
        { ["compile", GlobalData] },
        { ["bench", GlobalData, "--repeat", "-"] },
        { ["bench", GlobalData, "--opt", "3.5"] },
        { ["verify", GlobalData, "--max-insns", "many"] },
        { ["verify", GlobalData, "--ctx-size", "1e3"] },
        { ["inspect", GlobalData, "extra"] },
        { ["no-such-command"] },
        { [] },
    };

    [Theory]
    [MemberData(nameof(BadArguments))]
    public void ABadArgumentIsOneCodedLineWithExitCode2(string[] args)
    {
        var result = ToolRunner.Run(args);
        Assert.Equal(2, result.ExitCode);
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(lines);
        Assert.All(lines, line => Assert.Matches(@"^bpftime: error BPF41\d\d: ", line));
        Assert.DoesNotContain("   at ", result.Error + result.Output);
        Assert.DoesNotContain("Exception", result.Error + result.Output);
    }

    [Fact]
    public void ANumberThatDoesNotParseSaysWhatToGive()
    {
        var result = ToolRunner.Run(["run", GlobalData, "--repeat", "99999999999"]);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(DiagnosticCodes.ToolBadArgument, line);
        Assert.Contains("--repeat '99999999999' is not a whole number", line);
        Assert.Contains("bpftime run --help", line);
    }

    [Fact]
    public void AsAProcessABadValueLeavesNoStackTrace()
    {
        var result = ToolRunner.RunProcess(["run", GlobalData, "--repeat", "abc"]);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("bpftime: error BPF4186: ", result.Error);
        Assert.DoesNotContain("   at ", result.Error);
    }

    [Theory]
    [InlineData("inspect")]
    [InlineData("disasm")]
    [InlineData("verify")]
    [InlineData("run")]
    public void ATextFileNamedLikeAnObjectIsNotReadAsBytecode(string command)
    {
        var directory = Directory.CreateTempSubdirectory("bpftime-text");
        try
        {
            var path = Path.Combine(directory.FullName, "x.bpf.o");
            File.WriteAllText(path, "this is a note, not an object file.....\n");
            Assert.Equal(40, new FileInfo(path).Length);
            var result = ToolRunner.Run([command, path]);
            Assert.Equal(2, result.ExitCode);
            Assert.Contains($"error {DiagnosticCodes.ObjectNotRecognized}: ", result.Error);
            Assert.Contains("looks like text", result.Error);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("inspect")]
    [InlineData("verify")]
    [InlineData("run")]
    public void TheReadmeIsText(string command)
    {
        var result = ToolRunner.Run([command, Path.Combine(TestPaths.RepositoryRoot, "README.md")]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"error {DiagnosticCodes.ObjectNotRecognized}: the file is text", result.Error);
        Assert.Empty(result.Output);
    }

    [Theory]
    [InlineData("inspect")]
    [InlineData("disasm")]
    [InlineData("verify")]
    [InlineData("run")]
    [InlineData("bench")]
    [InlineData("compile")]
    public void ADirectoryIsNamedAsOne(string command)
    {
        string[] args = command == "compile" ? [command, TestPaths.DataDirectory, "-o", Path.Combine(Path.GetTempPath(), "unused.native.o")] : [command, TestPaths.DataDirectory];
        var result = ToolRunner.Run(args);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"error {DiagnosticCodes.ObjectPathIsDirectory}: is a directory", result.Error);
        Assert.DoesNotContain("denied", result.Error);
    }

    [Fact]
    public void AMissingMemoryFileForBenchIsAnInputError()
    {
        var result = ToolRunner.Run(["bench", GlobalData, "--engines", "interpreter", "--repeat", "1", "--mem", Path.Combine(TestPaths.DataDirectory, "no-such-memory")]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"error {DiagnosticCodes.ToolInputUnreadable}: cannot read the memory file", result.Error);
    }

    [Fact]
    public void RawBenchmarkBytecodeStillRuns()
    {
        var result = ToolRunner.Run(["inspect", ToolRunner.DataFile("bench", "primes.bin")]);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("primes", result.Output);
    }
}
