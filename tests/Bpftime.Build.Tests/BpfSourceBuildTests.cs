using System.Text.RegularExpressions;

namespace Bpftime.Build.Tests;

/// <summary>
/// BpfSource items compiled by clang in the build: a source that includes linux/bpf.h builds on
/// Debian with the default flags (the multiarch include folder is added), an item's ClangFlags add
/// to the defaults rather than replace them, and clang's errors arrive at clang's position under one
/// BPF code, once, with no exec failure on top.
/// </summary>
[Collection(nameof(BuildCollection))]
public sealed partial class BpfSourceBuildTests : IDisposable
{
    private readonly string _directory = EndToEnd.CreateAwkwardDirectory("clang");

    public void Dispose() => EndToEnd.DeleteQuietly(_directory);

    [Fact]
    public void SourcesBuildWithTheDefaultsPlusTheirFlagsAndClangErrorsKeepTheirPosition()
    {
        File.WriteAllText(Path.Combine(_directory, "answer.bpf.c"), """
            #include <linux/bpf.h>
            #define SEC(name) __attribute__((section(name), used))

            __u64 calls = 0;

            SEC("socket")
            __u64 give_answer(void *context)
            {
                __sync_fetch_and_add(&calls, 1);
                return ANSWER;
            }

            char LICENSE[] SEC("license") = "GPL";
            """);
        File.WriteAllText(Path.Combine(_directory, "broken.bpf.c"), "int broken(void)\n{\n    return missing_name;\n}\n");
        File.WriteAllText(Path.Combine(_directory, "app.csproj"), EndToEnd.SourceModeProject("""
            <BpfSource Include="answer.bpf.c" ClangFlags="-DANSWER=42" />
            <BpfSource Include="broken.bpf.c" Condition="'$(WithBroken)' == 'true'" />
            """));
        // The .bss section is typed only when clang wrote BTF, i.e. the default -g was kept beside -DANSWER.
        File.WriteAllText(Path.Combine(_directory, "Program.cs"), """
            using var answer = Bpf.Answer.Load();
            Console.WriteLine($"answer {answer.GiveAnswer.Run()}, calls {answer.Bss.Calls}");
            """);

        var build = DotNetCommand.Build(_directory);
        Assert.True(build.ExitCode == 0, build.ToString());
        var run = DotNetCommand.Run(_directory, "exec", Path.Combine(_directory, "bin", DotNetCommand.BuildConfiguration, "net10.0", "app.dll"));
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("answer 42, calls 1", run.Output, StringComparison.Ordinal);

        var broken = DotNetCommand.Build(_directory, "-p:WithBroken=true");
        Assert.NotEqual(0, broken.ExitCode);
        Assert.Contains("broken.bpf.c(3,12): error BPF4121: clang: use of undeclared identifier 'missing_name'", broken.Output, StringComparison.Ordinal);
        Assert.Contains("1 Error(s)", broken.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("MSB3073", broken.Output, StringComparison.Ordinal);
        Assert.DoesNotMatch(GeneratedCode(), broken.Output);
    }

    /// <summary>The codes MSBuild's exec task makes up for tool output it cannot attribute (GB90BDCA2 and the like).</summary>
    [GeneratedRegex(@"error G[0-9A-F]{8}\b", RegexOptions.CultureInvariant)]
    private static partial Regex GeneratedCode();
}
