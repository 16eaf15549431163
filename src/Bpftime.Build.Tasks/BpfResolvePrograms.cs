using System.Globalization;
using System.Text;
using Bpftime.Hosting;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace Bpftime.Build.Tasks;

/// <summary>
/// Decides, for every <c>BpfProgram</c> item, its stable name, the files the tool will write and the
/// logical names they are embedded under, and records all settings that affect the output in a file
/// that changes only when a setting does (so that file can be an incremental-build input).
/// Runs on every build; it is cheap and loads nothing but MSBuild.
/// </summary>
public sealed class BpfResolvePrograms : Microsoft.Build.Utilities.Task
{
    /// <summary>The metadata written to the settings file, whose change makes the objects build again (the paths follow from the name).</summary>
    private static readonly string[] SettingsKeys =
    [
        BuildManifestFormat.BpfName,
        BuildManifestFormat.OptimizationLevel,
        BuildManifestFormat.Engine,
        BuildManifestFormat.Verify,
        BuildManifestFormat.Programs,
        BuildManifestFormat.TargetCpu,
        BuildManifestFormat.HelperSet,
        BuildManifestFormat.RuntimeIdentifier,
        BuildManifestFormat.Triple,
        BuildManifestFormat.MemoryChecks,
        BuildManifestFormat.ContextSize,
        BuildManifestFormat.MaxMapMemory,
        BuildManifestFormat.RequireTermination,
        BuildManifestFormat.Context,
    ];

    [Required]
    public ITaskItem[] Programs { get; set; } = [];

    [Required]
    public string ProjectDirectory { get; set; } = "";

    /// <summary>Folder for the tool's outputs (under the intermediate output path).</summary>
    [Required]
    public string OutputDirectory { get; set; } = "";

    /// <summary>The project's RuntimeIdentifier; empty means the machine that builds.</summary>
    public string? RuntimeIdentifier { get; set; }

    public string? OptimizationLevel { get; set; }

    public string? TargetCpu { get; set; }

    public string? HelperSet { get; set; }

    /// <summary>
    /// Run-time memory checks in native code: auto (checked unless the build verified the program),
    /// on (always checked) or off (never; only for programs trusted to be safe).
    /// </summary>
    public string? MemoryChecks { get; set; }

    /// <summary>
    /// Bytes of raw memory r1 points at for programs without a fixed context (socket, kprobe, ...),
    /// as the verifier assumes them: 0 (the default) means such programs may not read their context.
    /// </summary>
    public string? ContextSize { get; set; }

    /// <summary>
    /// true: the verifier must prove every loop ends, or the build fails with BPF2039 (BpfRequireTermination;
    /// item metadata RequireTermination overrides). false (the default): a program proved memory-safe
    /// whose loops it cannot bound is verified and runs under the execution budget.
    /// </summary>
    public string? RequireTermination { get; set; }

    /// <summary>
    /// The context contract of programs other than XDP (BpfContext; item metadata Context overrides):
    /// Raw (the default: r1 points at least ContextSize bytes) or MemoryWithLength (r1 points at exactly
    /// r2 bytes, any number of them; ContextSize is ignored).
    /// </summary>
    public string? Context { get; set; }

    /// <summary>
    /// Bytes all maps of one object may need together (BpfMaxMapMemory): bytes, or a number with K, M
    /// or G (256M), or none; empty is the runtime's default (256 MiB). The tool checks it, and the
    /// generated accessor passes it to the loader.
    /// </summary>
    public string? MaxMapMemory { get; set; }

    /// <summary>Where to record the settings; rewritten only when they change.</summary>
    [Required]
    public string SettingsFile { get; set; } = "";

    /// <summary>Extra lines that count as settings (the tool's identity, for instance).</summary>
    public string[] ExtraSettings { get; set; } = [];

    [Output]
    public ITaskItem[] ResolvedPrograms { get; private set; } = [];

    public override bool Execute()
    {
        var hasTarget = TargetPlatform.TryResolve(RuntimeIdentifier, out var rid, out var triple);
        if (!hasTarget && Programs.Length > 0)
        {
            Log.LogWarning(null, "BPF4107", null, null, 0, 0, 0, 0,
                $"No ahead-of-time target for runtime identifier '{RuntimeIdentifier}' (linux-x64 and linux-arm64 have one); the eBPF objects are embedded as bytecode and run on the jit or interpreter.");
        }

        var settings = new StringBuilder();
        settings.AppendLine("bpftime-settings 1");
        foreach (var line in ExtraSettings)
        {
            settings.AppendLine(line);
        }

        var resolved = new List<ITaskItem>();
        var names = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var fileNames = new List<KeyValuePair<string, string>>();
        foreach (var program in Programs)
        {
            var fullPath = Path.GetFullPath(Path.Combine(ProjectDirectory, program.ItemSpec));
            var relative = RelativePath(ProjectDirectory, fullPath);
            var link = program.GetMetadata("Link");
            var name = program.GetMetadata("LogicalName");
            if (string.IsNullOrEmpty(name))
            {
                name = ProgramNaming.NameFor(string.IsNullOrEmpty(link) ? relative : link);
            }
            if (names.TryGetValue(name, out var other))
            {
                // Two objects that flatten to the same name: keep both, told apart by their path.
                Log.LogMessage(MessageImportance.Low, $"'{relative}' and '{other}' share the name '{name}'; adding a path hash.");
                name = name + "." + ProgramNaming.ShortHash(relative);
            }
            names[name] = relative;

            if (!TryParseOptimizationLevel(Metadata(program, "OptimizationLevel", OptimizationLevel, "O3"), out var level))
            {
                Log.LogError(null, "BPF4106", null, program.ItemSpec, 0, 0, 0, 0,
                    $"OptimizationLevel '{program.GetMetadata("OptimizationLevel")}' is not one of O0, O1, O2, O3.");
                continue;
            }
            var engine = Metadata(program, "Engine", null, "aot").ToLowerInvariant();
            if (engine is not ("aot" or "jit" or "interpreter" or "auto"))
            {
                Log.LogError(null, "BPF4106", null, program.ItemSpec, 0, 0, 0, 0,
                    $"Engine '{engine}' is not one of aot, jit, interpreter, auto.");
                continue;
            }
            var native = hasTarget && engine is "aot" or "auto";
            var checks = Metadata(program, "MemoryChecks", MemoryChecks, "auto").ToLowerInvariant();
            if (checks is not ("auto" or "on" or "off"))
            {
                Log.LogError(null, "BPF4106", null, program.ItemSpec, 0, 0, 0, 0,
                    $"MemoryChecks '{checks}' is not one of auto, on, off.");
                continue;
            }
            var contextSize = Metadata(program, "ContextSize", ContextSize, "0");
            if (!int.TryParse(contextSize, NumberStyles.None, CultureInfo.InvariantCulture, out var contextBytes) || contextBytes > 1 << 30)
            {
                Log.LogError(null, "BPF4106", null, program.ItemSpec, 0, 0, 0, 0,
                    $"ContextSize '{contextSize}' is not a number of bytes (0 or more).");
                continue;
            }
            var context = Metadata(program, "Context", Context, "Raw");
            if (context.Equals("Raw", StringComparison.OrdinalIgnoreCase))
            {
                context = "Raw";
            }
            else if (context.Equals("MemoryWithLength", StringComparison.OrdinalIgnoreCase))
            {
                context = "MemoryWithLength";
            }
            else
            {
                Log.LogError(null, "BPF4106", null, program.ItemSpec, 0, 0, 0, 0,
                    $"Context '{context}' is not one of Raw, MemoryWithLength.");
                continue;
            }

            var item = new TaskItem(fullPath);
            item.SetMetadata(BuildManifestFormat.BpfName, name);
            item.SetMetadata(BuildManifestFormat.ClassName, ProgramNaming.ClassNameFor(name));
            fileNames.Add(new KeyValuePair<string, string>(string.IsNullOrEmpty(program.GetMetadata("LogicalName")) ? Path.GetFileName(string.IsNullOrEmpty(link) ? relative : link) : name, name));
            item.SetMetadata(BuildManifestFormat.RelativePath, relative);
            item.SetMetadata(BuildManifestFormat.OptimizationLevel, level.ToString(CultureInfo.InvariantCulture));
            item.SetMetadata(BuildManifestFormat.Engine, engine);
            item.SetMetadata(BuildManifestFormat.Verify, IsTrue(Metadata(program, "Verify", null, "true")) ? "true" : "false");
            item.SetMetadata(BuildManifestFormat.Programs, program.GetMetadata("Programs"));
            item.SetMetadata(BuildManifestFormat.TargetCpu, Metadata(program, "TargetCpu", TargetCpu, "generic"));
            item.SetMetadata(BuildManifestFormat.HelperSet, Metadata(program, "HelperSet", HelperSet, "default"));
            item.SetMetadata(BuildManifestFormat.MemoryChecks, checks);
            item.SetMetadata(BuildManifestFormat.ContextSize, contextBytes.ToString(CultureInfo.InvariantCulture));
            item.SetMetadata(BuildManifestFormat.Context, context);
            item.SetMetadata(BuildManifestFormat.RequireTermination, IsTrue(Metadata(program, "RequireTermination", RequireTermination, "false")) ? "true" : "false");
            item.SetMetadata(BuildManifestFormat.MaxMapMemory, Metadata(program, "MaxMapMemory", MaxMapMemory, ""));
            item.SetMetadata(BuildManifestFormat.RuntimeIdentifier, native ? rid : "");
            item.SetMetadata(BuildManifestFormat.Triple, native ? triple : "");
            item.SetMetadata(BuildManifestFormat.BytecodeCopy, Path.Combine(OutputDirectory, name + EmbeddedResourceNames.BytecodeSuffix));
            item.SetMetadata("BytecodeLogicalName", EmbeddedResourceNames.Bytecode(name));
            item.SetMetadata(BuildManifestFormat.NativeObject, native ? Path.Combine(OutputDirectory, name + "." + rid + ".o") : "");
            item.SetMetadata("NativeLogicalName", native ? EmbeddedResourceNames.Native(name, rid) : "");
            item.SetMetadata(BuildManifestFormat.Accessor, Path.Combine(OutputDirectory, name + ".g.cs"));
            // Touched by every successful build (outputs are rewritten only when they change); incremental builds compare against it.
            item.SetMetadata(BuildManifestFormat.Stamp, Path.Combine(OutputDirectory, name + ".stamp"));
            // The same for the skeleton alone, which design-time builds make.
            item.SetMetadata(BuildManifestFormat.SkeletonStamp, Path.Combine(OutputDirectory, name + ".skeleton.stamp"));
            resolved.Add(item);

        }

        var classNames = ProgramNaming.ClassNamesFor(fileNames);
        for (var i = 0; i < resolved.Count; i++)
        {
            resolved[i].SetMetadata(BuildManifestFormat.ClassName, classNames[i]);
            settings.Append(resolved[i].ItemSpec);
            foreach (var key in SettingsKeys)
            {
                settings.Append('|').Append(resolved[i].GetMetadata(key));
            }
            settings.Append('|').Append(classNames[i]);
            settings.AppendLine();
        }

        ResolvedPrograms = resolved.ToArray();
        WriteIfChanged(SettingsFile, settings.ToString());
        return !Log.HasLoggedErrors;
    }

    private static string Metadata(ITaskItem item, string name, string? projectDefault, string fallback)
    {
        var value = item.GetMetadata(name);
        if (string.IsNullOrWhiteSpace(value))
        {
            value = projectDefault;
        }
        return string.IsNullOrWhiteSpace(value) ? fallback : value!.Trim();
    }

    internal static bool TryParseOptimizationLevel(string text, out int level)
    {
        var digits = text.TrimStart('-').TrimStart('O', 'o');
        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out level) && level is >= 0 and <= 3;
    }

    private static bool IsTrue(string value) =>
        !string.Equals(value, "false", StringComparison.OrdinalIgnoreCase) && value != "0";

    private static string RelativePath(string baseDirectory, string fullPath)
    {
        var root = Path.GetFullPath(baseDirectory).TrimEnd('/', '\\') + Path.DirectorySeparatorChar;
        if (fullPath.StartsWith(root, StringComparison.Ordinal))
        {
            return fullPath.Substring(root.Length);
        }
        // Outside the project: count the steps up so the name still says where it came from.
        var baseParts = root.TrimEnd(Path.DirectorySeparatorChar).Split(Path.DirectorySeparatorChar);
        var parts = fullPath.Split(Path.DirectorySeparatorChar);
        var common = 0;
        while (common < baseParts.Length && common < parts.Length && baseParts[common] == parts[common])
        {
            common++;
        }
        if (common == 0)
        {
            return fullPath;
        }
        var steps = Enumerable.Repeat("..", baseParts.Length - common).Concat(parts.Skip(common));
        return string.Join("/", steps);
    }

    private static void WriteIfChanged(string path, string contents)
    {
        if (File.Exists(path) && File.ReadAllText(path) == contents)
        {
            return;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, contents);
    }
}
