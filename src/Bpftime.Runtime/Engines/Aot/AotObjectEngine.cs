using Bpftime.Linking.Native;
using Bpftime.Objects;

namespace Bpftime.Engines.Aot;

/// <summary>
/// Running an object that is already compiled to native code (<c>bpftime run x.o --engine aot</c>):
/// tell it from eBPF bytecode, learn which maps it expects, then link it against the runtime's
/// helpers and maps. The steps, in order:
/// <code>
/// if (AotObjectEngine.IsNativeObject(bytes))
/// {
///     var specs = AotObjectEngine.RequiredMaps(bytes, path);      // create a BpfMap for each
///     using var module = AotObjectEngine.Load(bytes, new AotLinkOptions { Helpers = set, Maps = maps, Origin = path });
///     ulong r0 = module.GetProgram(module.Programs[0]).Run(context);
/// }
/// </code>
/// </summary>
public static class AotObjectEngine
{
    public const string EngineName = "aot";

    /// <summary>True for a native (x86-64, aarch64, ...) ELF relocatable, false for eBPF bytecode or anything else.</summary>
    public static bool IsNativeObject(ReadOnlySpan<byte> bytes) => AotObjectFile.IsNativeObject(bytes);

    /// <summary>
    /// The maps the object was compiled against, in metadata order (map N binds <c>_bpf_map_handle_N</c>);
    /// empty for an object without metadata, whose maps the caller must know by index.
    /// </summary>
    public static IReadOnlyList<MapSpec> RequiredMaps(ReadOnlySpan<byte> bytes, string? origin = null) =>
        AotLinker.ReadMetadata(bytes, origin) is { } metadata ? [.. metadata.Maps.Select(ToMapSpec)] : [];

    /// <summary>A map layout from the metadata as the runtime's map factories take it.</summary>
    public static MapSpec ToMapSpec(AotMap map) =>
        new(map.Name, (MapType)map.Type, map.KeySize, map.ValueSize, map.MaxEntries, map.Flags)
        {
            IsGlobalData = map.IsGlobalData,
            IsReadOnlyForPrograms = map.IsReadOnly,
            // byte[] null would otherwise become an empty (non-null) ReadOnlyMemory.
            InitialValue = map.InitialValue is { } initial ? new ReadOnlyMemory<byte>(initial) : (ReadOnlyMemory<byte>?)null,
            Section = map.IsGlobalData ? map.Name : null,
        };

    /// <summary>Links the object (all checks first); see <see cref="AotLinker.Link"/>.</summary>
    public static AotModule Load(ReadOnlySpan<byte> bytes, AotLinkOptions options) => AotLinker.Link(bytes, options);

    /// <summary>Reads and links an object file; I/O errors surface as the usual I/O exceptions.</summary>
    public static AotModule LoadFile(string path, AotLinkOptions options) =>
        AotLinker.Link(File.ReadAllBytes(path), options with { Origin = options.Origin ?? path });
}
