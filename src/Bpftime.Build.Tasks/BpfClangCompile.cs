using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace Bpftime.Build.Tasks;

/// <summary>
/// Compiles one <c>BpfSource</c> C file with clang for the BPF target. clang's own diagnostics keep
/// their file(line,col) and become MSBuild errors and warnings under one BPF code each (errors
/// BPF4121, warnings BPF4122), reported once, instead of the exec task's generic codes and its
/// "exited with code 1". The Debian/Ubuntu multiarch include folder (/usr/include/&lt;arch&gt;-linux-gnu,
/// where asm/types.h lives) is added when it exists, since clang -target bpf does not search it.
/// </summary>
public sealed class BpfClangCompile : ToolTask
{
    private static readonly Regex ClangLine = new(
        @"^(?<file>.+?):(?<line>\d+):(?<column>\d+):\s+(?<kind>fatal error|error|warning|note):\s+(?<message>.*)$",
        RegexOptions.CultureInvariant);

    /// <summary>The C file.</summary>
    [Required]
    public string Source { get; set; } = "";

    /// <summary>The object to write.</summary>
    [Required]
    public string Output { get; set; } = "";

    /// <summary>The flags that stand for the defaults (BpfClangDefaultFlags, "-O2 -g" unless the project replaces them).</summary>
    public string? DefaultFlags { get; set; }

    /// <summary>Flags added after the defaults (the item's ClangFlags).</summary>
    public string? Flags { get; set; }

    /// <summary>The compilers to look for on PATH, first found wins; a path is taken as is.</summary>
    [Required]
    public string[] Candidates { get; set; } = [];

    private string _clang = "";

    protected override string ToolName => "clang";

    // clang writes its diagnostics to standard error; both streams are read line by line here.
    protected override MessageImportance StandardErrorLoggingImportance => MessageImportance.Normal;

    public override bool Execute()
    {
        var found = Candidates.Select(Find).FirstOrDefault(path => path is not null);
        if (found is null)
        {
            Log.LogError(null, "BPF4109", null, Source, 0, 0, 0, 0,
                $"BpfSource items need clang with the BPF target, and none was found (looked for: {string.Join(" ", Candidates)}). Install it (Debian/Ubuntu: apt-get install clang), set BpfClang to its path, or list the compiled .bpf.o files as BpfProgram items instead.");
            return false;
        }
        _clang = found;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(Output))!);
        return base.Execute() && !Log.HasLoggedErrors;
    }

    protected override string GenerateFullPathToTool() => _clang;

    protected override string GenerateCommandLineCommands()
    {
        var include = MultiarchInclude();
        return "-target bpf " + (DefaultFlags ?? "").Trim() + " " + (include is null ? "" : "-I" + Quote(include) + " ")
            + (Flags ?? "").Trim() + " -c " + Quote(Source) + " -o " + Quote(Output);
    }

    /// <summary>/usr/include/x86_64-linux-gnu (or aarch64-...) when this machine has it.</summary>
    internal static string? MultiarchInclude()
    {
        var arch = RuntimeInformation.OSArchitecture switch
        {
            Architecture.X64 => "x86_64",
            Architecture.Arm64 => "aarch64",
            _ => null,
        };
        var folder = arch is null ? null : "/usr/include/" + arch + "-linux-gnu";
        return folder is not null && Directory.Exists(folder) ? folder : null;
    }

    protected override void LogEventsFromTextOutput(string singleLine, MessageImportance messageImportance)
    {
        var match = ClangLine.Match(singleLine);
        if (!match.Success)
        {
            Log.LogMessage(messageImportance, singleLine);
            return;
        }
        var file = match.Groups["file"].Value;
        var line = int.Parse(match.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture);
        var column = int.Parse(match.Groups["column"].Value, System.Globalization.CultureInfo.InvariantCulture);
        var message = "clang: " + match.Groups["message"].Value;
        switch (match.Groups["kind"].Value)
        {
            case "warning":
                Log.LogWarning(null, "BPF4122", null, file, line, column, 0, 0, message);
                break;
            case "note":
                Log.LogMessage(null, null, null, file, line, column, 0, 0, MessageImportance.Normal, message);
                break;
            default:
                Log.LogError(null, "BPF4121", null, file, line, column, 0, 0, message);
                break;
        }
    }

    protected override bool HandleTaskExecutionErrors()
    {
        if (!Log.HasLoggedErrors)
        {
            Log.LogError(null, "BPF4121", null, Source, 0, 0, 0, 0,
                $"clang exited with code {ExitCode} compiling this file for the BPF target without naming an error; run it by hand for details: {_clang} {GenerateCommandLineCommands()}");
        }
        return false;
    }

    private static string? Find(string candidate)
    {
        if (candidate.IndexOf('/') >= 0)
        {
            return File.Exists(candidate) ? candidate : null;
        }
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            if (folder.Length > 0 && File.Exists(Path.Combine(folder, candidate)))
            {
                return Path.Combine(folder, candidate);
            }
        }
        return null;
    }

    private static string Quote(string text) => "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
