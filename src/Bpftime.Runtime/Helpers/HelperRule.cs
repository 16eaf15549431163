using Bpftime.Objects;

namespace Bpftime.Helpers;

/// <summary>
/// How the verifier checks a call to one helper: its prototype (argument kinds r1.., result kind)
/// plus what a bare prototype cannot say: which map types it accepts, whether it moves packet data,
/// whether it writes the map value argument, the result's range, and callback arguments.
/// </summary>
public sealed record HelperRule(int Id, string Name, HelperPrototype Prototype)
{
    /// <summary>Map types the map argument may have; empty: any map not in <see cref="RefusedMapTypes"/>.</summary>
    public IReadOnlyList<MapType> MapTypes { get; init; } = [];

    /// <summary>Map types the map argument may not have.</summary>
    public IReadOnlyList<MapType> RefusedMapTypes { get; init; } = [];

    /// <summary>The helper may move or resize packet data: every packet pointer is stale after it.</summary>
    public bool ChangesPacketData { get; init; }

    /// <summary>The map-value argument is written, not read (map_pop_elem, map_peek_elem).</summary>
    public bool WritesMapValue { get; init; }

    /// <summary>The helper changes the map's contents (update, delete, push, pop): refused on maps read-only for programs.</summary>
    public bool WritesMap { get; init; }

    /// <summary>The helper copies memory from its third argument (probe_read and kin): on the stack it must be data, not pointers.</summary>
    public bool CopiesFromSource { get; init; }

    /// <summary>The helper's result fits in 32 bits (unsigned).</summary>
    public bool ReturnsU32 { get; init; }

    /// <summary>A callback helper: how it calls the function argument.</summary>
    public CallbackKind Callback { get; init; }

    /// <summary>r1 points at a struct bpf_spin_lock (4 bytes) inside a writable map value.</summary>
    public bool SpinLockArgument { get; init; }

    /// <summary>Arguments after the prototype's are not looked at (trace_printk's optional values).</summary>
    public bool VariadicTail { get; init; }

    /// <summary>
    /// The program types Linux offers the helper to (its func_proto per type); null: every type. Only
    /// checked when the program's context names its type (see <see cref="Verification.ContextLayout.ProgramType"/>).
    /// </summary>
    public IReadOnlySet<ProgramType>? ProgramTypes { get; init; }

    /// <summary>May a program of <paramref name="type"/> call the helper?</summary>
    public bool IsOfferedTo(ProgramType type) => ProgramTypes is null || ProgramTypes.Contains(type);

    public override string ToString() => $"{Name} (#{Id}) {Prototype.Signature}";
}

/// <summary>How a helper calls its callback argument, which fixes the callback's arguments.</summary>
public enum CallbackKind
{
    None,
    /// <summary>bpf_loop: callback(u32 index, void *ctx).</summary>
    Loop,
    /// <summary>bpf_for_each_map_elem: callback(map, key *, value *, void *ctx).</summary>
    ForEachMapElement,
}
