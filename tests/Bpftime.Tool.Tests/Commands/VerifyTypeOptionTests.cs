using Bpftime.Engines;
using Bpftime.Tool;

namespace Bpftime.Tests.Tool.Commands;

/// <summary><c>bpftime verify --type</c>: the program type of programs whose section name says none.</summary>
public sealed class VerifyTypeOptionTests
{
    private static (int Exit, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var context = new ToolContext(new EngineRegistry(), output, error, new StringReader(""));
        var exit = ToolMain.Run(args, context);
        return (exit, output.ToString(), error.ToString());
    }

    private static string? Corpus(string relative)
    {
        var path = Path.GetFullPath(Path.Combine(TestPaths.RepositoryRoot, "..", "shared", "corpus", "ebpf-samples", relative));
        return File.Exists(path) ? path : null;
    }

    [Fact]
    public void AnUnknownTypeIsAUsageError()
    {
        var (exit, _, error) = Run("verify", Path.Combine(TestPaths.DataDirectory, "obj", "verifier", "primes.bpf.o"), "--type", "nonsense");
        Assert.Equal(2, exit);
        Assert.Contains("BPF4106", error, StringComparison.Ordinal);
        Assert.Contains("nonsense", error, StringComparison.Ordinal);
    }

    /// <summary>cilium's "from-netdev" reads __sk_buff fields past 64 bytes: refused as raw memory, safe as a tc program.</summary>
    [SkippableFact]
    public void CiliumSectionsVerifyAsTcPrograms()
    {
        var path = Corpus(Path.Combine("cilium", "bpf_lb.o"));
        Skip.If(path is null, "the ebpf-samples corpus is absent");
        var (rawExit, _, rawError) = Run("verify", path, "--ctx-size", "64", "--program", "from-netdev");
        Assert.Equal(1, rawExit);
        Assert.Contains("BPF2004", rawError, StringComparison.Ordinal);
        var (exit, output, error) = Run("verify", path, "--ctx-size", "64", "--program", "from-netdev", "--type", "tc");
        Assert.True(exit == 0, output + error);
        Assert.Contains("from-netdev: safe", output, StringComparison.Ordinal);
    }
}
