// This file is compiled into both the tool (net10.0) and the MSBuild tasks (netstandard2.0), so that
// the manifest the task writes and the one the tool reads cannot drift apart.
namespace Bpftime.Build;

/// <summary>
/// The JSON manifest the SDK's BpfCompile task writes for <c>bpftime build</c>: a format number, the
/// accessors' namespace and one object per eBPF source, whose fields are the item metadata named
/// here, written in camel case (<see cref="Key"/>).
/// </summary>
internal static class BuildManifestFormat
{
    public const int Version = 1;

    public const string FormatKey = "format";

    public const string NamespaceKey = "namespace";

    public const string ObjectsKey = "objects";

    /// <summary>"build" (the default: check, compile, write everything) or "skeleton" (read the objects and write only the skeletons, as design-time builds need).</summary>
    public const string ModeKey = "mode";

    public const string SkeletonMode = "skeleton";

    /// <summary>The object's source file (the item itself, not a metadata).</summary>
    public const string SourceKey = "source";

    public const string BpfName = "BpfName";
    public const string ClassName = "ClassName";
    public const string RelativePath = "RelativePath";
    public const string OptimizationLevel = "OptimizationLevel";
    public const string Engine = "Engine";
    public const string Verify = "Verify";
    public const string Programs = "Programs";
    public const string TargetCpu = "TargetCpu";
    public const string HelperSet = "HelperSet";
    public const string RuntimeIdentifier = "RuntimeIdentifier";
    public const string Triple = "Triple";
    public const string BytecodeCopy = "BytecodeCopy";
    public const string NativeObject = "NativeObject";
    public const string Accessor = "Accessor";
    public const string MemoryChecks = "MemoryChecks";
    public const string ContextSize = "ContextSize";
    public const string MaxMapMemory = "MaxMapMemory";
    public const string RequireTermination = "RequireTermination";
    public const string Context = "Context";
    public const string Stamp = "Stamp";
    public const string SkeletonStamp = "SkeletonStamp";

    /// <summary>Every item metadata the manifest carries for an object.</summary>
    public static readonly string[] ItemFields =
    [
        BpfName, ClassName, RelativePath, OptimizationLevel, Engine, Verify, Programs, TargetCpu,
        HelperSet, RuntimeIdentifier, Triple, BytecodeCopy, NativeObject, Accessor, MemoryChecks,
        ContextSize, MaxMapMemory, RequireTermination, Context, Stamp, SkeletonStamp,
    ];

    /// <summary>The JSON name of an item metadata: the same name in camel case.</summary>
    public static string Key(string field) => char.ToLowerInvariant(field[0]) + field.Substring(1);
}
