namespace Bpftime.Objects;

/// <summary>
/// What an object asks of a map: its layout, and for global-data regions (.data, .rodata, .bss)
/// the initial contents. Global data is an <see cref="MapType.Array"/> of one entry whose value is
/// the whole section.
/// </summary>
public sealed record MapSpec(
    string Name,
    MapType Type,
    uint KeySize,
    uint ValueSize,
    uint MaxEntries,
    uint Flags = 0)
{
    /// <summary>Initial value bytes (global data), or null.</summary>
    public ReadOnlyMemory<byte>? InitialValue { get; init; }

    /// <summary>Which section of the object the map came from (.maps, maps, .data, .rodata, .bss, ...).</summary>
    public string? Section { get; init; }

    /// <summary>True for a global-data region of the object rather than a declared map.</summary>
    public bool IsGlobalData { get; init; }

    /// <summary>True where programs may not write the value (.rodata, BPF_F_RDONLY_PROG).</summary>
    public bool IsReadOnlyForPrograms { get; init; }

    /// <summary>BTF type ids of key and value, when the object has BTF (0 when unknown).</summary>
    public uint KeyTypeId { get; init; }

    public uint ValueTypeId { get; init; }

    /// <summary>
    /// Byte offset of the struct bpf_spin_lock member of the value type (from BTF), or null when the
    /// value has none; programs may lock only there.
    /// </summary>
    public int? SpinLockOffset { get; init; }

    /// <summary>libbpf pinning (0 none, 1 by name).</summary>
    public uint Pinning { get; init; }

    /// <summary>For map-in-map types: the inner map's layout.</summary>
    public MapSpec? InnerMap { get; init; }

    /// <summary>
    /// Slots filled at load from the declaration's <c>.values</c> initialiser: programs by name for a
    /// program array, maps by name for a map of maps; empty when the object initialises none.
    /// </summary>
    public IReadOnlyList<MapSlot> InitialSlots
    {
        get => _initialSlots ?? DefaultEmpty.Read<MapSlot>();
        init => _initialSlots = DefaultEmpty.Keep(value);
    }

    private readonly IReadOnlyList<MapSlot>? _initialSlots;

    public override string ToString() =>
        $"{Name} ({Type}, key {KeySize}, value {ValueSize}, max {MaxEntries})";
}
