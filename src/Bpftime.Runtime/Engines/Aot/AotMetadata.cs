using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Bpftime.Objects;

namespace Bpftime.Engines.Aot;

/// <summary>
/// What an AOT object promises and expects, stored as UTF-8 JSON in its <see cref="SectionName"/>
/// section: the target, a hash of the source object, each program's entry symbol and stack size, the
/// helpers it calls with their signatures, and the layout of every map it was compiled against. The
/// runtime's linker checks all of it before any code runs.
/// </summary>
public sealed record AotMetadata
{
    public const string SectionName = ".bpftime.aot";

    public const int CurrentFormat = 1;

    /// <summary>Symbol of the only program, when an object has exactly one.</summary>
    public const string SingleProgramSymbol = "bpf_main";

    /// <summary>Data symbol the linker binds to the handle of map N (ld_imm64 src 1/5).</summary>
    public static string MapHandleSymbol(int mapIndex) => $"_bpf_map_handle_{mapIndex}";

    /// <summary>Data symbol the linker binds to byte 0 of map N's value (ld_imm64 src 2/6).</summary>
    public static string MapValueSymbol(int mapIndex) => $"_bpf_map_value_{mapIndex}";

    /// <summary>Function the linker binds for callx: <c>u64 f(u64 helper_id, u64 r1, u64 r2, u64 r3, u64 r4, u64 r5)</c>.</summary>
    public const string HelperByIdSymbol = "_bpf_helper_by_id";

    public int Format { get; init; } = CurrentFormat;

    /// <summary>LLVM target triple, e.g. x86_64-unknown-linux-gnu.</summary>
    public required string Triple { get; init; }

    /// <summary>"sha256:" and the hex hash of the eBPF object the code came from.</summary>
    public string? SourceHash { get; init; }

    public string? SourceName { get; init; }

    public int OptimizationLevel { get; init; }

    public string? TargetCpu { get; init; }

    /// <summary>The helper set the code was compiled against.</summary>
    public string? HelperSet { get; init; }

    public required IReadOnlyList<AotProgram> Programs { get; init; }

    public IReadOnlyList<AotMap> Maps
    {
        get => _maps ?? DefaultEmpty.Read<AotMap>();
        init => _maps = DefaultEmpty.Keep(value);
    }

    private readonly IReadOnlyList<AotMap>? _maps;

    /// <summary>
    /// <see cref="Programs"/> as an array the caller must not change: the reader's own (a copy when the
    /// list is of another kind). A loop over it loads no interface or enumerator types at an app's start.
    /// </summary>
    internal AotProgram[] ProgramArray => AsArray(Programs);

    /// <summary><see cref="Maps"/> as an array the caller must not change, as <see cref="ProgramArray"/>.</summary>
    internal AotMap[] MapArray => AsArray(Maps);

    internal static T[] AsArray<T>(IReadOnlyList<T> list) => list as T[] ?? CopyToArray(list);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T[] CopyToArray<T>(IReadOnlyList<T> list)
    {
        var array = new T[list.Count];
        for (var i = 0; i < array.Length; i++)
        {
            array[i] = list[i];
        }
        return array;
    }

    public byte[] ToJsonBytes() => JsonSerializer.SerializeToUtf8Bytes(this, AotMetadataJsonContext.Default.AotMetadata);

    /// <summary>Reads what <see cref="ToJsonBytes"/> wrote (with <see cref="AotMetadataReader"/>: no serializer metadata on the load path).</summary>
    public static AotMetadata FromJson(ReadOnlySpan<byte> utf8) => AotMetadataReader.Read(utf8);

    public override string ToString() => Encoding.UTF8.GetString(ToJsonBytes());
}

/// <summary>One program of an AOT object.</summary>
public sealed record AotProgram
{
    public required string Name { get; init; }

    public required string Symbol { get; init; }

    public string? Section { get; init; }

    /// <summary>Stack bytes one frame of the program uses (at most 512).</summary>
    public int StackSize { get; init; }

    /// <summary>Deepest chain of local calls (1 = no calls).</summary>
    public int CallDepth { get; init; } = 1;

    public IReadOnlyList<AotHelperUse> Helpers
    {
        get => _helpers ?? DefaultEmpty.Read<AotHelperUse>();
        init => _helpers = DefaultEmpty.Keep(value);
    }

    private readonly IReadOnlyList<AotHelperUse>? _helpers;

    /// <summary>Indexes into <see cref="AotMetadata.Maps"/> that the program refers to.</summary>
    public IReadOnlyList<int> Maps
    {
        get => _maps ?? DefaultEmpty.Read<int>();
        init => _maps = DefaultEmpty.Keep(value);
    }

    private readonly IReadOnlyList<int>? _maps;

    /// <summary><see cref="Helpers"/> as an array the caller must not change, as <see cref="AotMetadata.ProgramArray"/>.</summary>
    internal AotHelperUse[] HelperArray => AotMetadata.AsArray(Helpers);

    /// <summary><see cref="Maps"/> as an array the caller must not change, as <see cref="AotMetadata.ProgramArray"/>.</summary>
    internal int[] MapIndexArray => AotMetadata.AsArray(Maps);

    /// <summary>Whether the program calls helpers by register (callx) and so needs <see cref="AotMetadata.HelperByIdSymbol"/>.</summary>
    public bool UsesHelperById { get; init; }

    /// <summary>
    /// Whether the code checks every memory access at run time (compiled for a program nothing
    /// verified). Every entry takes a run state (<see cref="AotCheckedAbi"/>); checked code keeps its
    /// bounds and faults there, verified code its frames. Absent in older objects, which are unchecked.
    /// </summary>
    public bool Checked { get; init; }

    /// <summary>
    /// Whether the build's verifier proved the program safe, which is what lets unchecked code count
    /// as verified. False for code compiled unchecked on the user's word (MemoryChecks=off,
    /// <c>bpftime compile --memory-checks off</c>) and in older objects, which lack the field.
    /// </summary>
    public bool Proved { get; init; }

    /// <summary>
    /// For verified code: whether the verifier proved that every loop ends. False for a program proved
    /// memory-safe whose loops it could not bound; its code must then count the budget
    /// (<see cref="CountsBudget"/>), which the linker demands. Null for checked code and in older
    /// objects (whose verifier accepted only programs it proved to end).
    /// </summary>
    public bool? TerminationProven { get; init; }

    /// <summary>
    /// Whether the code counts backward jumps, local calls and callbacks against the execution budget
    /// (<see cref="AotCheckedAbi.Budget"/>) and stops with BPF4016 when it is spent: checked code, and
    /// verified code whose termination was not proven (memory unchecked, counter kept).
    /// </summary>
    public bool CountsBudget { get; init; }

    /// <summary>
    /// Bytes of raw memory at r1 the program was verified (or, unchecked on trust, built) for; the
    /// runtime refuses to run it on less. Null when unknown (older objects); not used for XDP programs.
    /// </summary>
    public int? ContextSize { get; init; }

    /// <summary>
    /// Whether the program was verified (or, unchecked on trust, built) for the (mem, len) contract:
    /// r1 points at exactly r2 bytes, any number of them. <see cref="ContextSize"/> is then absent.
    /// </summary>
    public bool ContextLengthInR2 { get; init; }

    /// <summary>
    /// Whether the program was compiled for a socket buffer (its legacy packet loads read data and
    /// data_end through r6): the loader then runs it only with RunSocketBuffer, never on raw memory.
    /// </summary>
    public bool SocketBuffer { get; init; }

    /// <summary>
    /// The <see cref="AotCheckedAbi.Version"/> the code was compiled for; 0 (absent) in objects from
    /// before the execution budget and, for verified code, before version 3; the linker refuses any other.
    /// </summary>
    public int CheckedAbi { get; init; }
}

/// <summary>A helper a program calls: id, name, and the signature from its prototype.</summary>
public sealed record AotHelperUse(int Id, string Name, string Signature)
{
    public bool StopsProgramOnZero { get; init; }
}

/// <summary>A map an object was compiled against, with its layout.</summary>
public sealed record AotMap
{
    public required string Name { get; init; }

    public uint Type { get; init; }

    public uint KeySize { get; init; }

    public uint ValueSize { get; init; }

    public uint MaxEntries { get; init; }

    public uint Flags { get; init; }

    public bool IsGlobalData { get; init; }

    /// <summary>Programs may only read the value (.rodata).</summary>
    public bool IsReadOnly { get; init; }

    /// <summary>Initial value bytes of a global-data region (base64 in the JSON), so the object runs on its own.</summary>
    public byte[]? InitialValue { get; init; }

    /// <summary>A map of maps' inner map template, which every map it holds must match (absent otherwise).</summary>
    public AotMap? Inner { get; init; }

    /// <summary>Slots the object fills at load (`.values`): programs of a program array, maps of a map of maps, by name.</summary>
    public IReadOnlyList<MapSlot>? Slots { get; init; }

    /// <summary>This layout as the runtime's map factories take it, to create the map the object expects.</summary>
    public MapSpec ToMapSpec()
    {
        var spec = new MapSpec(Name, (MapType)Type, KeySize, ValueSize, MaxEntries, Flags)
        {
            IsGlobalData = IsGlobalData,
            IsReadOnlyForPrograms = IsReadOnly,
            // byte[] null would otherwise become an empty (non-null) ReadOnlyMemory.
            InitialValue = InitialValue is { } initial ? new ReadOnlyMemory<byte>(initial) : (ReadOnlyMemory<byte>?)null,
            Section = IsGlobalData ? Name : null,
            InnerMap = Inner?.ToMapSpec(),
        };
        // Left at the spec's default (none) unless there are slots: `Slots ?? []` would make the empty array of slots.
        return Slots is { } slots ? WithSlots(spec, slots) : spec;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static MapSpec WithSlots(MapSpec spec, IReadOnlyList<MapSlot> slots) => spec with { InitialSlots = slots };

    /// <summary>The metadata of <paramref name="spec"/>: its layout, inner template and initial slots.</summary>
    public static AotMap FromSpec(MapSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new AotMap
        {
            Name = spec.Name,
            Type = (uint)spec.Type,
            KeySize = spec.KeySize,
            ValueSize = spec.ValueSize,
            MaxEntries = spec.MaxEntries,
            Flags = spec.Flags,
            IsGlobalData = spec.IsGlobalData,
            IsReadOnly = spec.IsReadOnlyForPrograms,
            InitialValue = spec.InitialValue is { } initial && initial.Span.ContainsAnyExcept((byte)0) ? initial.ToArray() : null,
            Inner = spec.InnerMap is { } inner ? FromSpec(inner) : null,
            Slots = spec.InitialSlots.Count == 0 ? null : spec.InitialSlots,
        };
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = false,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AotMetadata))]
internal sealed partial class AotMetadataJsonContext : JsonSerializerContext;
