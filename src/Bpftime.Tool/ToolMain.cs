using System.CommandLine;
using Bpftime.Diagnostics;
using Bpftime.Tool.Commands;

namespace Bpftime.Tool;

/// <summary>
/// Builds the command tree. Exit codes: 0 success, 1 a program was rejected, 2 usage errors and
/// unusable input, 3 an internal error (a fault in bpftime itself, reported as BPF4188, never as a stack trace).
/// </summary>
internal static class ToolMain
{
    public static int Run(string[] args) => Run(args, ToolContext.CreateDefault());

    /// <summary>The command tree, with every command and option the parser knows.</summary>
    public static RootCommand CreateRoot(ToolContext context)
    {
        var root = new RootCommand("bpftime: inspect, verify, compile and run eBPF programs");
        foreach (var command in CreateCommands(context))
        {
            root.Subcommands.Add(command);
        }
        UsageErrors.GuardValidators(root);
        return root;
    }

    public static int Run(string[] args, ToolContext context)
    {
        try
        {
            var parse = CreateRoot(context).Parse(args);
            if (parse.Errors.Count > 0)
            {
                // One coded line per mistake and exit code 2, instead of System.CommandLine's help dump and 1.
                return UsageErrors.Report(parse, context.Error);
            }
            // Exceptions reach the handlers below rather than System.CommandLine's, which prints a stack trace.
            var configuration = new InvocationConfiguration { Output = context.Output, Error = context.Error, EnableDefaultExceptionHandler = false };
            return parse.Invoke(configuration);
        }
        catch (BpfException error)
        {
            foreach (var diagnostic in error.Diagnostics)
            {
                context.Error.WriteLine(diagnostic.ToCanonicalString());
            }
            return CommandSupport.UsageOrInput;
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            // The last resort: every expected failure is a BpfException with its own code, so this
            // is a fault in bpftime. One line says what happened and where to report it.
            var where = error.TargetSite is { } site ? $" in {site.DeclaringType?.Name}.{site.Name}" : "";
            context.Error.WriteLine(new BpfDiagnostic(DiagnosticCodes.ToolInternalError,
                $"internal error: {error.GetType().Name}{where}: {error.Message.ReplaceLineEndings(" ")}; this is a fault in bpftime, not in your input: please report it with the command line that caused it (set BPFTIME_TRACE=1 to print the stack trace)").ToCanonicalString());
            if (Environment.GetEnvironmentVariable("BPFTIME_TRACE") == "1")
            {
                context.Error.WriteLine(error.ToString());
            }
            return CommandSupport.InternalError;
        }
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
