namespace Bpftime.Tests.Tool.Commands;

/// <summary>
/// The loops users write first (tests/data/c/verifier/user_*.bpf.c) are proved by the verification the
/// build runs (`compile --memory-checks auto`, as the SDK's BpfCompile does), so they compile to native
/// code without run-time memory checks: nothing but each program's context is declared. The unsafe
/// twin of the histogram stays checked.
/// </summary>
public sealed class UserLoopCompileTests
{
    [Theory]
    [InlineData("user_primes.bpf.o", "", true)]
    [InlineData("user_copy.bpf.o", "--ctx-size 2097152", true)]
    [InlineData("user_histogram.bpf.o", "--mem-len", true)]
    [InlineData("user_parser.bpf.o", "", true)]
    [InlineData("unsafe/histogram_past_len.bpf.o", "--mem-len", false)]
    public void TheBuildProvesTheLoopsUsersWrite(string relativePath, string context, bool proved)
    {
        var directory = Directory.CreateTempSubdirectory("bpftime-user-loops-");
        try
        {
            var source = ToolRunner.DataFile(["obj", "verifier", .. relativePath.Split('/')]);
            var native = Path.Combine(directory.FullName, "native.o");
            var compiled = ToolRunner.Run(["compile", source, "-o", native, "--memory-checks", "auto", .. context.Split(' ', StringSplitOptions.RemoveEmptyEntries)]);
            Assert.True(compiled.ExitCode == 0, compiled.Error);
            if (proved)
            {
                Assert.Contains(" unchecked proved ", compiled.Output, StringComparison.Ordinal);
            }
            else
            {
                Assert.Contains(" checked ", compiled.Output, StringComparison.Ordinal);
                Assert.DoesNotContain(" unchecked ", compiled.Output, StringComparison.Ordinal);
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
