using Bpftime.Diagnostics;

namespace Bpftime.Objects;

/// <summary>
/// What <see cref="ObjectReader"/> found in an object: its programs (linked, ready for an engine),
/// its maps (declared maps first, in section order, then global-data regions), license, BTF,
/// how many relocations of each kind it applied or skipped, and warnings.
/// </summary>
/// <remarks>
/// Map indexes are what linked programs carry: ld_imm64 src 5 has imm = index into <see cref="Maps"/>,
/// src 6 has imm = index and the second slot's imm = byte offset into the value. Global-data regions
/// are named after their sections (".data", ".rodata", ".bss", ".rodata.str1.1"), not with libbpf's
/// object-name prefix, and are single-entry arrays whose value is the whole section.
/// </remarks>
public sealed record BpfObjectFile(
    string? Path,
    ObjectKind Kind,
    IReadOnlyList<BpfProgramInfo> Programs,
    IReadOnlyList<MapSpec> Maps)
{
    /// <summary>The contents of the "license" section, or null.</summary>
    public string? License { get; init; }

    public Btf? Btf { get; init; }

    /// <summary>
    /// Relocations by kind, as the reader counted them. Files made without the reader (an embedded
    /// program's record) share one empty table, made on first read: a dictionary keyed by this
    /// assembly's enum is code no ready-to-run image holds, so making one per load costs a JIT compile.
    /// </summary>
    public IReadOnlyDictionary<RelocationKind, int> RelocationCounts
    {
        get => _relocationCounts ?? NoRelocations.Counts;
        init => _relocationCounts = value;
    }

    private readonly IReadOnlyDictionary<RelocationKind, int>? _relocationCounts;

    private static class NoRelocations
    {
        public static readonly IReadOnlyDictionary<RelocationKind, int> Counts = new Dictionary<RelocationKind, int>();
    }

    public IReadOnlyList<BpfDiagnostic> Warnings
    {
        get => _warnings ?? DefaultEmpty.Read<BpfDiagnostic>();
        init => _warnings = DefaultEmpty.Keep(value);
    }

    private readonly IReadOnlyList<BpfDiagnostic>? _warnings;

    public BpfProgramInfo? FindProgram(string name) => Programs.FirstOrDefault(p => p.Name == name);

    public int FindMapIndex(string name)
    {
        for (var i = 0; i < Maps.Count; i++)
        {
            if (Maps[i].Name == name)
            {
                return i;
            }
        }
        return -1;
    }

    public int RelocationCount(RelocationKind kind) => RelocationCounts.TryGetValue(kind, out var count) ? count : 0;
}
