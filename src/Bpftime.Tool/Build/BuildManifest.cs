using System.Globalization;
using System.Text.Json;
using Bpftime.Diagnostics;

namespace Bpftime.Tool.Build;

/// <summary>
/// The JSON file the SDK's BpfCompile task writes: the accessors' namespace and one entry per
/// object. Field names are the item metadata names in camel case.
/// </summary>
internal sealed record BuildManifest(string Namespace, IReadOnlyList<BuildItem> Items)
{
    public static BuildManifest Read(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            var ns = Text(root, "namespace", "Bpf");
            var items = new List<BuildItem>();
            if (root.TryGetProperty("objects", out var objects) && objects.ValueKind == JsonValueKind.Array)
            {
                foreach (var entry in objects.EnumerateArray())
                {
                    items.Add(ReadItem(entry, path));
                }
            }
            return new BuildManifest(ns, items);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException)
        {
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.InvalidBuildSetting, $"cannot read the build manifest: {error.Message}", File: path), error);
        }
    }

    private static BuildItem ReadItem(JsonElement entry, string manifestPath)
    {
        var source = Text(entry, "source", "");
        if (source.Length == 0)
        {
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.InvalidBuildSetting, "an object entry has no \"source\"", File: manifestPath));
        }
        var level = Text(entry, "optimizationLevel", "3").TrimStart('-').TrimStart('O', 'o');
        if (!int.TryParse(level, NumberStyles.None, CultureInfo.InvariantCulture, out var optimization) || optimization > 3)
        {
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.InvalidBuildSetting,
                $"OptimizationLevel '{level}' is not one of O0, O1, O2, O3", File: source));
        }
        var contextText = Text(entry, "contextSize", "0");
        if (!int.TryParse(contextText, NumberStyles.None, CultureInfo.InvariantCulture, out var contextSize))
        {
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.InvalidBuildSetting,
                $"ContextSize '{contextText}' is not a number of bytes (0 or more)", File: source));
        }
        var mapMemory = Text(entry, "maxMapMemory", "");
        var name = Text(entry, "bpfName", Path.GetFileNameWithoutExtension(source));
        return new BuildItem
        {
            Source = source,
            Name = name,
            ClassName = Text(entry, "className", name),
            OptimizationLevel = optimization,
            Engine = Text(entry, "engine", "aot").ToLowerInvariant(),
            ContextSize = contextSize,
            MaxMapMemory = MemorySize.Parse(mapMemory, "MaxMapMemory", source),
            HasMaxMapMemory = mapMemory.Length > 0,
            Verify = !Text(entry, "verify", "true").Equals("false", StringComparison.OrdinalIgnoreCase),
            RequireTermination = Text(entry, "requireTermination", "false").Equals("true", StringComparison.OrdinalIgnoreCase),
            MemoryWithLength = ContextOf(Text(entry, "context", "Raw"), source),
            Programs = Text(entry, "programs", "").Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            TargetCpu = Text(entry, "targetCpu", "generic"),
            HelperSet = Text(entry, "helperSet", "default"),
            MemoryChecks = MemoryChecksOf(Text(entry, "memoryChecks", "auto"), source),
            RuntimeIdentifier = Text(entry, "runtimeIdentifier", ""),
            Triple = Text(entry, "triple", ""),
            BytecodeCopy = Required(entry, "bytecodeCopy", source),
            NativeObject = Text(entry, "nativeObject", ""),
            Accessor = Required(entry, "accessor", source),
        };
    }

    /// <summary>Raw (r1 points at least ContextSize bytes) or MemoryWithLength (r1 points at exactly r2 bytes).</summary>
    private static bool ContextOf(string value, string source) => value.ToLowerInvariant() switch
    {
        "raw" => false,
        "memorywithlength" => true,
        _ => throw new BpfException(new BpfDiagnostic(DiagnosticCodes.InvalidBuildSetting,
            $"Context '{value}' is not one of Raw, MemoryWithLength", File: source)),
    };

    private static string MemoryChecksOf(string value, string source) => value.ToLowerInvariant() switch
    {
        "auto" or "on" or "off" => value.ToLowerInvariant(),
        _ => throw new BpfException(new BpfDiagnostic(DiagnosticCodes.InvalidBuildSetting,
            $"MemoryChecks '{value}' is not one of auto, on, off", File: source)),
    };

    private static string Text(JsonElement element, string name, string fallback) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : fallback;

    private static string Required(JsonElement element, string name, string source) =>
        Text(element, name, "") is { Length: > 0 } text
            ? text
            : throw new BpfException(new BpfDiagnostic(DiagnosticCodes.InvalidBuildSetting, $"the manifest gives no \"{name}\" for this object", File: source));
}
