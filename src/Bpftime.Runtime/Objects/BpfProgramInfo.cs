using Bpftime.Isa;

namespace Bpftime.Objects;

/// <summary>
/// One program of an object, ready to link: its own code first, then every subprogram it calls
/// (directly or transitively), with call offsets and ld_imm64 sources rewritten (map by index,
/// map value by index, code address). Line info, func info and CO-RE records use indexes into
/// <see cref="Instructions"/>.
/// </summary>
public sealed record BpfProgramInfo(
    string Name,
    string Section,
    ProgramType Type,
    IReadOnlyList<Instruction> Instructions)
{
    /// <summary>The part of the section name after the type prefix, such as the kprobe's function.</summary>
    public string AttachTarget { get; init; } = string.Empty;

    /// <summary>How many leading instructions are the program's own code; the rest are appended subprograms.</summary>
    public int MainLength { get; init; }

    /// <summary>Each appended subprogram (by name) and the index of its first instruction.</summary>
    public IReadOnlyList<(string Name, int Start)> Subprograms
    {
        get => _subprograms ?? DefaultEmpty.Read<(string Name, int Start)>();
        init => _subprograms = DefaultEmpty.Keep(value);
    }

    private readonly IReadOnlyList<(string Name, int Start)>? _subprograms;

    public IReadOnlyList<BpfLineInfo> LineInfo
    {
        get => _lineInfo ?? DefaultEmpty.Read<BpfLineInfo>();
        init => _lineInfo = DefaultEmpty.Keep(value);
    }

    private readonly IReadOnlyList<BpfLineInfo>? _lineInfo;

    public IReadOnlyList<BpfFuncInfo> FuncInfo
    {
        get => _funcInfo ?? DefaultEmpty.Read<BpfFuncInfo>();
        init => _funcInfo = DefaultEmpty.Keep(value);
    }

    private readonly IReadOnlyList<BpfFuncInfo>? _funcInfo;

    public IReadOnlyList<BpfCoreRelocation> CoreRelocations
    {
        get => _coreRelocations ?? DefaultEmpty.Read<BpfCoreRelocation>();
        init => _coreRelocations = DefaultEmpty.Keep(value);
    }

    private readonly IReadOnlyList<BpfCoreRelocation>? _coreRelocations;

    /// <summary>The line info in force at an instruction (the last entry at or before it), or null.</summary>
    public BpfLineInfo? LineAt(int instructionIndex)
    {
        BpfLineInfo? found = null;
        foreach (var entry in LineInfo)
        {
            if (entry.InstructionIndex > instructionIndex)
            {
                break;
            }
            found = entry;
        }
        return found;
    }

    /// <summary>The instructions as an array (a copy), as <c>ProgramImage</c> takes them.</summary>
    public Instruction[] ToArray() => [.. Instructions];

    public override string ToString() => $"{Name} ({Section}, {Type}, {Instructions.Count} slots)";
}
