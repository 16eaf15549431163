using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace Bpftime.Build.Tasks;

/// <summary>
/// Runs <c>dotnet bpftime.dll build @response-file</c> once for all the project's objects that are
/// out of date. The compiler (and LLVM) live only in that process; MSBuild never loads them.
/// The tool's canonical diagnostic lines become MSBuild errors and warnings with file, position and
/// BPF code.
/// </summary>
public sealed class BpfCompile : ToolTask
{
    /// <summary>Items from <see cref="BpfResolvePrograms"/>.</summary>
    [Required]
    public ITaskItem[] Programs { get; set; } = [];

    /// <summary>The tool's entry assembly, bpftime.dll.</summary>
    [Required]
    public string ToolAssembly { get; set; } = "";

    /// <summary>Where to write the manifest and the response file.</summary>
    [Required]
    public string WorkingFilesDirectory { get; set; } = "";

    /// <summary>The namespace of the generated accessors.</summary>
    public string? AccessorNamespace { get; set; }

    /// <summary>
    /// Only read the objects and write their skeletons (design-time builds): the tool then loads no
    /// LLVM and runs no verifier.
    /// </summary>
    public bool SkeletonOnly { get; set; }

    /// <summary>The dotnet host to run the tool with; defaults to the one running this build.</summary>
    public string? DotNetHostPath { get; set; }

    [Output]
    public ITaskItem[] Outputs { get; private set; } = [];

    private string _responseFile = "";

    protected override string ToolName => "dotnet";

    // The tool reports ordinary progress at normal importance; diagnostics are routed separately.
    protected override MessageImportance StandardOutputLoggingImportance => MessageImportance.Normal;

    public override bool Execute()
    {
        if (Programs.Length == 0)
        {
            return true;
        }
        if (!File.Exists(ToolAssembly))
        {
            Log.LogError(null, "BPF4111", null, null, 0, 0, 0, 0,
                $"The bpftime tool was not found at '{ToolAssembly}'. Restore the Bpftime.Sdk package again, or set BpfToolPath to bpftime.dll.");
            return false;
        }
        Directory.CreateDirectory(WorkingFilesDirectory);
        var baseName = SkeletonOnly ? "bpftime.skeleton" : "bpftime.build";
        var manifest = Path.Combine(WorkingFilesDirectory, baseName + ".json");
        File.WriteAllText(manifest, BuildManifest.Write(Programs, AccessorNamespace, SkeletonOnly), new UTF8Encoding(false));
        _responseFile = Path.Combine(WorkingFilesDirectory, baseName + ".rsp");
        File.WriteAllText(_responseFile, "--manifest\n" + QuoteArgument(manifest) + "\n", new UTF8Encoding(false));

        Log.LogMessage(MessageImportance.High, SkeletonOnly
            ? $"bpftime: writing the skeletons of {Programs.Length} eBPF object(s)"
            : $"bpftime: compiling {Programs.Length} eBPF object(s)");
        if (!base.Execute())
        {
            return false;
        }
        var outputs = new List<ITaskItem>();
        foreach (var program in Programs)
        {
            foreach (var key in new[] { "NativeObject", "BytecodeCopy", "Accessor" })
            {
                var path = program.GetMetadata(key);
                if (!string.IsNullOrEmpty(path) && File.Exists(path))
                {
                    outputs.Add(new TaskItem(path));
                }
            }
        }
        Outputs = outputs.ToArray();
        return !Log.HasLoggedErrors;
    }

    protected override string GenerateFullPathToTool()
    {
        var host = !string.IsNullOrEmpty(DotNetHostPath) ? DotNetHostPath : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        return string.IsNullOrEmpty(host) ? "dotnet" : host!;
    }

    protected override string GenerateCommandLineCommands() =>
        QuoteArgument(ToolAssembly) + " build @" + QuoteArgument(_responseFile);

    protected override void LogEventsFromTextOutput(string singleLine, MessageImportance messageImportance)
    {
        var diagnostic = CanonicalDiagnostic.Parse(singleLine);
        if (diagnostic is null)
        {
            Log.LogMessage(singleLine.StartsWith("bpftime build:", StringComparison.Ordinal) ? MessageImportance.High : messageImportance, singleLine);
            return;
        }
        switch (diagnostic.Category)
        {
            case "warning":
                Log.LogWarning(null, diagnostic.Code, null, diagnostic.File, diagnostic.Line, diagnostic.Column, 0, 0, diagnostic.Message);
                break;
            case "info":
                Log.LogMessage(null, diagnostic.Code, null, diagnostic.File, diagnostic.Line, diagnostic.Column, 0, 0, MessageImportance.High, diagnostic.Message);
                break;
            default:
                Log.LogError(null, diagnostic.Code, null, diagnostic.File, diagnostic.Line, diagnostic.Column, 0, 0, diagnostic.Message);
                break;
        }
    }

    protected override bool HandleTaskExecutionErrors()
    {
        if (!Log.HasLoggedErrors)
        {
            Log.LogError(null, "BPF4111", null, null, 0, 0, 0, 0,
                $"bpftime build exited with code {ExitCode} without reporting a diagnostic; run it by hand for details: {GenerateFullPathToTool()} {GenerateCommandLineCommands()}");
        }
        return false;
    }

    private static string QuoteArgument(string text) =>
        "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
