using Bpftime.Helpers;
using Bpftime.Maps;

namespace Bpftime.Engines.Aot;

/// <summary>What a native object is linked against: the active helper set and the runtime's maps.</summary>
public sealed record AotLinkOptions
{
    /// <summary>The helpers programs may call; <c>_bpf_helper_ext_NNNN</c> and callx ids resolve here.</summary>
    public required HelperTable Helpers { get; init; }

    /// <summary>
    /// The runtime's maps. With metadata, map N of the metadata binds to the map of the same name
    /// (or, when no map has that name, to entry N); without metadata, <c>_bpf_map_handle_N</c> binds to entry N.
    /// </summary>
    public IReadOnlyList<BpfMap> Maps { get; init; } = [];

    /// <summary>The object's file name, for messages.</summary>
    public string? Origin { get; init; }
}
