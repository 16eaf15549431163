using System.CommandLine;
using Bpftime.Diagnostics;
using Bpftime.Objects;

namespace Bpftime.Tool.Commands;

/// <summary>Arguments and options several commands share, and the one place bad input becomes exit code 2.</summary>
internal static class CommandSupport
{
    public const int Success = 0;
    public const int Rejected = 1;
    public const int UsageOrInput = 2;
    public const int InternalError = 3;

    public static Argument<FileInfo> FileArgument(string description = "An eBPF object (clang -target bpf ELF) or raw bytecode file") =>
        new("file") { Description = description };

    /// <summary><c>--program</c> for commands that use one program: run, bench.</summary>
    public static Option<string?> ProgramOption() =>
        new("--program", "-p") { Description = "Name of the program to use (default: the object's first program; 'bpftime inspect FILE' lists them)" };

    /// <summary><c>--program</c> for commands that show every program unless one is named: disasm.</summary>
    public static Option<string?> ProgramFilterOption() =>
        new("--program", "-p") { Description = "Name of the one program to show (default: every program of the object)" };

    /// <summary>
    /// The helper sets for help texts. "tracing" is the opt-in for helpers that read host memory
    /// (bpf_probe_read*, %s of an arbitrary pointer); the other sets leave them out.
    /// </summary>
    public const string HelperSetHelp = "default, xdp, tracing (default plus the helpers that read host memory: bpf_probe_read*, %s of any pointer), conformance";

    /// <summary>The runtime's helper set of that name, or <paramref name="code"/> listing the names there are.</summary>
    public static Helpers.HelperTable FindHelperSet(string name, string code, string? file = null) =>
        Hosting.BpfHelperSets.Find(name) ?? throw BpfException.Create(code,
            $"there is no helper set named '{name}'; this runtime has {string.Join(", ", Hosting.BpfHelperSets.Names)} (\"tracing\" is the opt-in for helpers that read host memory)", file);

    /// <summary><c>--max-map-memory</c>: bytes all maps of the object may need together (BpfLoadOptions.MaxMapMemory).</summary>
    public static Option<string> MaxMapMemoryOption() => new("--max-map-memory")
    {
        Description = "Memory all maps of the object may need together: bytes, or with K, M, G (256M), or none; objects over it are refused (BPF4226)",
        DefaultValueFactory = _ => "256M",
    };

    public static Option<bool> JsonOption() => new("--json") { Description = "Write one JSON document instead of text" };

    /// <summary>The engine option, limited to and completed from the one engine list of the tool.</summary>
    public static Option<string> EngineOption(ToolContext context, string defaultEngine = "interpreter")
    {
        var names = context.Engines.Names.ToArray();
        var option = new Option<string>("--engine", "-e")
        {
            Description = $"Execution engine: {string.Join(", ", names)}",
            DefaultValueFactory = _ => defaultEngine,
        };
        option.AcceptOnlyFromAmong(names);
        return option;
    }

    public static Option<int> OptimizationOption()
    {
        var option = new Option<int>("--opt", "-O")
        {
            Description = "LLVM optimisation level for llvm-jit and aot (0-3)",
            DefaultValueFactory = _ => 3,
        };
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<int>();
            if (value is < 0 or > 3)
            {
                result.AddError($"--opt must be 0, 1, 2 or 3 (got {value})");
            }
        });
        return option;
    }

    /// <summary>Runs a command body, turning BPF diagnostics into messages and exit code 2 (never a stack trace).</summary>
    public static int Guard(ToolContext context, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (BpfException error)
        {
            foreach (var diagnostic in error.Diagnostics)
            {
                context.Error.WriteLine(diagnostic.ToCanonicalString());
            }
            return UsageOrInput;
        }
    }

    /// <summary>The bytes of a --mem file; a missing or unreadable file is exit code 2 with BPF4182, not a stack trace.</summary>
    public static byte[] ReadMemoryFile(FileInfo file)
    {
        try
        {
            return File.ReadAllBytes(file.FullName);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw BpfException.Create(DiagnosticCodes.ToolInputUnreadable,
                Directory.Exists(file.FullName) ? "the memory file is a directory; give a file" : $"cannot read the memory file: {error.Message}", file.FullName);
        }
    }

    public static BpfObjectFile ReadObject(FileInfo file) => ObjectReader.ReadFile(file.FullName);

    /// <summary>The named program, or the first; a wrong name lists the ones there are.</summary>
    public static BpfProgramInfo SelectProgram(BpfObjectFile file, string? name)
    {
        if (file.Programs.Count == 0)
        {
            throw BpfException.Create(DiagnosticCodes.ToolNoProgram, "the object has no program", file.Path);
        }
        if (name is null)
        {
            return file.Programs[0];
        }
        return file.FindProgram(name) ?? throw BpfException.Create(DiagnosticCodes.ToolUnknownProgram,
            $"no program named '{name}'; the object has: {string.Join(", ", file.Programs.Select(p => p.Name))}", file.Path);
    }

    public static IEnumerable<BpfProgramInfo> SelectPrograms(BpfObjectFile file, string? name) =>
        name is null ? file.Programs : [SelectProgram(file, name)];
}
