using System.CommandLine;
using Bpftime.Tool.Commands;

namespace Bpftime.Tool;

/// <summary>Builds the command tree. Exit codes: 0 success, 1 a program was rejected, 2 usage errors and unusable input.</summary>
internal static class ToolMain
{
    public static int Run(string[] args) => Run(args, ToolContext.CreateDefault());

    public static int Run(string[] args, ToolContext context)
    {
        var root = new RootCommand("bpftime: inspect, verify, compile and run eBPF programs");
        foreach (var command in CreateCommands(context))
        {
            root.Subcommands.Add(command);
        }
        UsageErrors.GuardValidators(root);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // One coded line per mistake and exit code 2, instead of System.CommandLine's help dump and 1.
            return UsageErrors.Report(parse, context.Error);
        }
        var configuration = new InvocationConfiguration { Output = context.Output, Error = context.Error };
        return parse.Invoke(configuration);
    }

    private static IEnumerable<Command> CreateCommands(ToolContext context)
    {
        yield return InspectCommand.Create(context);
        yield return DisasmCommand.Create(context);
        yield return CompileCommand.Create(context);
        yield return RunCommand.Create(context);
        yield return PluginCommand.Create(context);
        yield return BenchCommand.Create(context);
        yield return VerifyCommand.Create(context);
        yield return EnginesCommand.Create(context);
        yield return BuildCommand.Create(context);
    }
}
