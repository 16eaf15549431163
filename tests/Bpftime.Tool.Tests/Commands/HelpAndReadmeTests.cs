using System.CommandLine;
using Bpftime.Tool;

namespace Bpftime.Tests.Tool.Commands;

/// <summary>
/// The help and the README's table of commands describe the same options as the parser accepts:
/// an option added to a command and left out of either fails here.
/// </summary>
public sealed class HelpAndReadmeTests
{
    private static IEnumerable<Command> Commands() =>
        ToolMain.CreateRoot(new ToolContext(EngineCatalog.CreateDefault(), TextWriter.Null, TextWriter.Null, TextReader.Null)).Subcommands;

    private static IEnumerable<Option> OwnOptions(Command command) =>
        command.Options.Where(o => o.Name is not ("--help" or "--version") && !o.Hidden);

    public static TheoryData<string> CommandNames => [.. Commands().Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(CommandNames))]
    public void EveryOptionTheParserKnowsIsInTheHelp(string name)
    {
        var result = ToolRunner.Run([name, "--help"]);
        Assert.Equal(0, result.ExitCode);
        var command = Commands().Single(c => c.Name == name);
        Assert.All(OwnOptions(command), option => Assert.Contains(option.Name, result.Output, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(CommandNames))]
    public void EveryOptionTheParserKnowsIsInTheReadme(string name)
    {
        var rows = File.ReadAllLines(Path.Combine(TestPaths.RepositoryRoot, "README.md"))
            .Where(line => line.StartsWith("| `" + name, StringComparison.Ordinal)).ToList();
        var row = Assert.Single(rows);
        // The usage column is the first cell.
        var usage = row.Split(" | ", 2)[0];
        var command = Commands().Single(c => c.Name == name);
        // The README may use an option's short alias (compile -o).
        Assert.All(OwnOptions(command), option => Assert.Contains(option.Aliases.Prepend(option.Name), spelling => usage.Contains(spelling + " ", StringComparison.Ordinal) || usage.Contains(spelling + "]", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("run")]
    [InlineData("bench")]
    public void ProgramHelpOfCommandsThatUseOneProgramDoesNotPromiseAll(string name)
    {
        var help = ToolRunner.Run([name, "--help"]).Output;
        var line = Assert.Single(help.Split('\n'), l => l.Contains("--program", StringComparison.Ordinal));
        Assert.DoesNotContain("all", line, StringComparison.Ordinal);
        Assert.Contains("first program", line, StringComparison.Ordinal);
    }
}
