using System.Runtime.CompilerServices;
using Bpftime.Diagnostics;
using Bpftime.Elf;
using Bpftime.Engines.Aot;

namespace Bpftime.Linking.Native;

/// <summary>
/// A native ELF64 relocatable object (what the AOT compiler emits, or what clang -c makes from C), read
/// by the shared <see cref="ElfImage"/> under <see cref="NativeObjectPolicy"/>: x86-64 or aarch64, RELA
/// only, and anything that does not fit raises a BPF31xx diagnostic naming what was wrong. The bytes are
/// copied, so the object outlives the caller's buffer.
/// </summary>
public sealed class AotObjectFile
{
    public const ushort MachineX64 = ElfImage.MachineX64;
    public const ushort MachineAArch64 = ElfImage.MachineAArch64;
    public const ushort MachineBpf = ElfImage.MachineBpf;

    private readonly ElfImage _image;
    private AotMetadata? _metadata;
    private bool _metadataRead;

    private AotObjectFile(byte[] bytes, string? origin)
    {
        Origin = origin;
        _image = ElfImage.Parse(bytes, NativeObjectPolicy.Instance, origin);
    }

    /// <summary>Where the object came from, for messages.</summary>
    public string? Origin { get; }

    /// <summary>e_machine: 62 for x86-64, 183 for aarch64.</summary>
    public ushort Machine => _image.Machine;

    public IReadOnlyList<ElfSection> Sections => _image.Sections;

    /// <summary>Symbol table entries by index (index 0 is the null symbol); empty when the object has no symbol table.</summary>
    public IReadOnlyList<ElfSymbol> Symbols => _image.Symbols;

    /// <summary>As <see cref="Sections"/>, the array itself (the caller must not change it): a loop over it needs no enumerator types.</summary>
    internal ElfSection[] SectionArray => _image.SectionArray;

    /// <summary>As <see cref="Symbols"/>, the array itself (the caller must not change it).</summary>
    internal ElfSymbol[] SymbolArray => _image.SymbolArray;

    /// <summary>
    /// True for an ELF relocatable object of a native machine (x86-64, aarch64, ...) rather than
    /// eBPF bytecode: what <c>bpftime run x.o --engine aot</c> uses to pick the linker.
    /// </summary>
    public static bool IsNativeObject(ReadOnlySpan<byte> bytes) =>
        ElfImage.PeekHeader(bytes) is { } header && header.Type == ElfImage.TypeRelocatable
        && header.Machine != ElfImage.MachineBpf && header.Machine != ElfImage.MachineNone;

    /// <summary>Reads an object; throws <see cref="BpfException"/> (BPF3100/3101/3102) when it is not a well-formed x86-64 or aarch64 ELF64 relocatable.</summary>
    public static AotObjectFile Read(ReadOnlySpan<byte> bytes, string? origin = null) => new(bytes.ToArray(), origin);

    /// <summary>A human name for an ELF machine number.</summary>
    public static string MachineName(ushort machine) => machine switch
    {
        MachineX64 => "x86_64",
        MachineAArch64 => "aarch64",
        MachineBpf => "bpf",
        3 => "i386",
        40 => "arm",
        243 => "riscv",
        8 => "mips",
        21 => "ppc64",
        22 => "s390",
        _ => $"machine {machine}",
    };

    /// <summary>The file bytes of a section (empty for .bss-like sections).</summary>
    public ReadOnlySpan<byte> Contents(ElfSection section) => _image.Contents(section);

    public ElfSection? FindSection(string name) => _image.FindSection(name);

    /// <summary>The relocations that patch <paramref name="section"/>.</summary>
    public IReadOnlyList<ElfRelocation> RelocationsFor(ElfSection section) => _image.RelocationsFor(section);

    /// <summary>As <see cref="RelocationsFor"/>, an array the caller must not change, or null when none apply: the linker's loops over it stay precompiled.</summary>
    internal ElfRelocation[]? RelocationArrayFor(ElfSection section) => _image.RelocationArrayFor(section);

    /// <summary>Defined global symbols by name (locals may repeat names and are not looked up by name).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ElfSymbol? FindGlobalSymbol(string name)
    {
        ElfSymbol? other = null;
        foreach (var symbol in _image.SymbolArray)
        {
            if (symbol.Name != name)
            {
                continue;
            }
            if (symbol.IsGlobal && !symbol.IsUndefined)
            {
                return symbol;
            }
            if (other is null && symbol.Type != ElfSymbol.TypeSection && symbol.Type != ElfSymbol.TypeFile)
            {
                other = symbol;
            }
        }
        return other;
    }

    /// <summary>
    /// The object's <c>.bpftime.aot</c> metadata, or null when it has none (C compiled natively).
    /// Throws BPF3103 when the section is not valid metadata, BPF3104 for an unknown format version.
    /// </summary>
    public AotMetadata? ReadMetadata()
    {
        var section = FindSection(AotMetadata.SectionName);
        if (section is null)
        {
            return null;
        }
        AotMetadata? metadata;
        try
        {
            metadata = AotMetadata.FromJson(Contents(section));
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or NotSupportedException or ArgumentException)
        {
            throw BpfException.Create(DiagnosticCodes.AotMetadataInvalid,
                $"the {AotMetadata.SectionName} section is not valid metadata JSON: {e.Message}", Origin);
        }
        if (metadata.Format != AotMetadata.CurrentFormat)
        {
            throw BpfException.Create(DiagnosticCodes.AotMetadataFormatUnsupported,
                $"the object's metadata has format {metadata.Format}; this runtime reads format {AotMetadata.CurrentFormat}. Recompile the object with this version of bpftime", Origin);
        }
        var problem = FindMissingField(metadata);
        if (problem is not null)
        {
            throw BpfException.Create(DiagnosticCodes.AotMetadataInvalid, $"the {AotMetadata.SectionName} metadata is incomplete: {problem}", Origin);
        }
        return metadata;
    }

    /// <summary>
    /// <see cref="ReadMetadata"/> read once and kept: the linker and a load that looks at the metadata
    /// before linking share one reading. The same refusals, on every call until one succeeds.
    /// </summary>
    internal AotMetadata? LinkMetadata()
    {
        if (!_metadataRead)
        {
            _metadata = ReadMetadata();
            _metadataRead = true;
        }
        return _metadata;
    }

    // JSON null can still reach non-nullable members; find it before anything dereferences them. Loops over
    // arrays, not foreach over the lists: an interface enumerator loads its own types on every start.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static string? FindMissingField(AotMetadata metadata)
    {
        if (metadata.Triple is null)
        {
            return "triple is null";
        }
        if (metadata.Programs is null)
        {
            return "a program, its name or its symbol is null";
        }
        var programs = metadata.ProgramArray;
        foreach (var program in programs)
        {
            if (program is null || program.Name is null || program.Symbol is null)
            {
                return "a program, its name or its symbol is null";
            }
            if (program.Helpers is null || program.Maps is null)
            {
                return "a program's helper or map list is null";
            }
            foreach (var helper in program.HelperArray)
            {
                if (helper is null || helper.Name is null || helper.Signature is null)
                {
                    return "a program's helper or map list is null";
                }
            }
        }
        if (metadata.Maps is null)
        {
            return "a map or its name is null";
        }
        foreach (var map in metadata.MapArray)
        {
            if (map is null || map.Name is null)
            {
                return "a map or its name is null";
            }
        }
        return programs.Length <= SmallProgramCount ? FindRepeatedNameByScan(programs) : FindRepeatedNameBySet(programs);
    }

    // Up to this many programs, comparing each name with those before it is cheaper than a set (whose types a
    // start would load); beyond it the set keeps a hostile object with many programs from costing quadratic time.
    private const int SmallProgramCount = 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static string? FindRepeatedNameByScan(AotProgram[] programs)
    {
        for (var i = 1; i < programs.Length; i++)
        {
            for (var j = 0; j < i; j++)
            {
                if (string.Equals(programs[j].Name, programs[i].Name, StringComparison.Ordinal))
                {
                    return RepeatedName(programs[i].Name);
                }
            }
        }
        return null;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string? FindRepeatedNameBySet(AotProgram[] programs)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var program in programs)
        {
            if (!names.Add(program.Name))
            {
                return RepeatedName(program.Name);
            }
        }
        return null;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string RepeatedName(string name) => $"two programs are named '{name}'";
}
