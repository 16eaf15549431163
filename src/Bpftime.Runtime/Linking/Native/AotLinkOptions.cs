using System.Runtime.CompilerServices;
using Bpftime.Helpers;
using Bpftime.Maps;

namespace Bpftime.Linking.Native;

/// <summary>What a native object is linked against: the active helper set and the runtime's maps.</summary>
public sealed record AotLinkOptions
{
    /// <summary>The helpers programs may call; <c>_bpf_helper_ext_NNNN</c> and callx ids resolve here.</summary>
    public required HelperTable Helpers { get; init; }

    /// <summary>
    /// The runtime's maps. With metadata, map N of the metadata binds to the map of the same name
    /// (or, when no map has that name, to entry N); without metadata, <c>_bpf_map_handle_N</c> binds to entry N.
    /// </summary>
    public IReadOnlyList<BpfMap> Maps { get => _maps ?? NoMaps(); init => _maps = value; }

    // Null until set: an empty default made at every load would load the framework's empty-array type for maps.
    private readonly IReadOnlyList<BpfMap>? _maps;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static IReadOnlyList<BpfMap> NoMaps() => [];

    /// <summary>Refuse objects without <c>.bpftime.aot</c> metadata (BPF3122) instead of linking them with a warning.</summary>
    public bool RequireMetadata { get; init; }

    /// <summary>
    /// When set ("sha256:" and hex), the metadata's source hash must equal it (BPF3119): the native code
    /// was compiled from exactly the eBPF object the caller holds, not from an older build.
    /// </summary>
    public string? ExpectedSourceHash { get; init; }

    /// <summary>The object's file name, for messages.</summary>
    public string? Origin { get; init; }
}
