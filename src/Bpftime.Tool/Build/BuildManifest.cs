using System.Globalization;
using System.Text.Json;
using Bpftime.Build;
using Bpftime.Diagnostics;
using F = Bpftime.Build.BuildManifestFormat;

namespace Bpftime.Tool.Build;

/// <summary>
/// The JSON file the SDK's BpfCompile task writes: the accessors' namespace and one entry per
/// object, as <see cref="BuildManifestFormat"/> describes it.
/// </summary>
internal sealed record BuildManifest(string Namespace, IReadOnlyList<BuildItem> Items, bool SkeletonOnly = false)
{
    public static BuildManifest Read(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            var ns = Value(root, BuildManifestFormat.NamespaceKey, "Bpf");
            var items = new List<BuildItem>();
            if (root.TryGetProperty(BuildManifestFormat.ObjectsKey, out var objects) && objects.ValueKind == JsonValueKind.Array)
            {
                foreach (var entry in objects.EnumerateArray())
                {
                    items.Add(ReadItem(entry, path));
                }
            }
            var skeletonOnly = Value(root, BuildManifestFormat.ModeKey, "build") == BuildManifestFormat.SkeletonMode;
            return new BuildManifest(ns, items, skeletonOnly);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException)
        {
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.InvalidBuildSetting, $"cannot read the build manifest: {error.Message}", File: path), error);
        }
    }

    private static BuildItem ReadItem(JsonElement entry, string manifestPath)
    {
        var source = Value(entry, BuildManifestFormat.SourceKey, "");
        if (source.Length == 0)
        {
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.InvalidBuildSetting, $"an object entry has no \"{BuildManifestFormat.SourceKey}\"", File: manifestPath));
        }
        var level = Text(entry, F.OptimizationLevel, "3").TrimStart('-').TrimStart('O', 'o');
        if (!int.TryParse(level, NumberStyles.None, CultureInfo.InvariantCulture, out var optimization) || optimization > 3)
        {
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.InvalidBuildSetting,
                $"OptimizationLevel '{level}' is not one of O0, O1, O2, O3", File: source));
        }
        var contextText = Text(entry, F.ContextSize, "0");
        if (!int.TryParse(contextText, NumberStyles.None, CultureInfo.InvariantCulture, out var contextSize))
        {
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.InvalidBuildSetting,
                $"ContextSize '{contextText}' is not a number of bytes (0 or more)", File: source));
        }
        var mapMemory = Text(entry, F.MaxMapMemory, "");
        var name = Text(entry, F.BpfName, Path.GetFileNameWithoutExtension(source));
        return new BuildItem
        {
            Source = source,
            Name = name,
            ClassName = Text(entry, F.ClassName, name),
            OptimizationLevel = optimization,
            Engine = Text(entry, F.Engine, "aot").ToLowerInvariant(),
            ContextSize = contextSize,
            MaxMapMemory = MemorySize.Parse(mapMemory, "MaxMapMemory", source),
            HasMaxMapMemory = mapMemory.Length > 0,
            Verify = !Text(entry, F.Verify, "true").Equals("false", StringComparison.OrdinalIgnoreCase),
            RequireTermination = Text(entry, F.RequireTermination, "false").Equals("true", StringComparison.OrdinalIgnoreCase),
            MemoryWithLength = ContextOf(Text(entry, F.Context, "Raw"), source),
            Programs = Text(entry, F.Programs, "").Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            TargetCpu = Text(entry, F.TargetCpu, "generic"),
            HelperSet = Text(entry, F.HelperSet, "default"),
            MemoryChecks = MemoryChecksOf(Text(entry, F.MemoryChecks, "auto"), source),
            RuntimeIdentifier = Text(entry, F.RuntimeIdentifier, ""),
            Triple = Text(entry, F.Triple, ""),
            BytecodeCopy = Required(entry, F.BytecodeCopy, source),
            NativeObject = Text(entry, F.NativeObject, ""),
            Accessor = Required(entry, F.Accessor, source),
            Stamp = Text(entry, F.Stamp, ""),
            SkeletonStamp = Text(entry, F.SkeletonStamp, ""),
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

    /// <summary>The item metadata <paramref name="field"/> of an object entry, or <paramref name="fallback"/> when absent or empty.</summary>
    private static string Text(JsonElement element, string field, string fallback) => Value(element, F.Key(field), fallback);

    private static string Value(JsonElement element, string key, string fallback) =>
        element.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : fallback;

    private static string Required(JsonElement element, string field, string source) =>
        Text(element, field, "") is { Length: > 0 } text
            ? text
            : throw new BpfException(new BpfDiagnostic(DiagnosticCodes.InvalidBuildSetting, $"the manifest gives no \"{F.Key(field)}\" for this object", File: source));
}
