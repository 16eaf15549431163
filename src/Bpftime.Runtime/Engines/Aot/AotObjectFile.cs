using System.Buffers.Binary;
using System.Text;
using Bpftime.Diagnostics;

namespace Bpftime.Engines.Aot;

/// <summary>
/// A native ELF64 relocatable object (what the AOT compiler emits, or what clang -c makes from C),
/// read defensively: every offset, size and index is checked against the file, and anything that
/// does not fit raises <see cref="DiagnosticCodes.NativeObjectMalformed"/> naming what was wrong.
/// The bytes are copied, so the object outlives the caller's buffer.
/// </summary>
public sealed class AotObjectFile
{
    public const ushort MachineX64 = 62;
    public const ushort MachineAArch64 = 183;
    public const ushort MachineBpf = 247;

    private const int HeaderSize = 64;
    private const int SectionHeaderSize = 64;
    private const int SymbolSize = 24;
    private const int RelaSize = 24;
    private const ushort TypeRelocatable = 1;

    private readonly byte[] _bytes;
    private readonly Dictionary<int, ElfRelocation[]> _relocationsBySection = [];

    private AotObjectFile(byte[] bytes, string? origin)
    {
        _bytes = bytes;
        Origin = origin;
        Machine = ReadHeader();
        Sections = ReadSections();
        Symbols = ReadSymbols();
        ReadRelocations();
    }

    /// <summary>Where the object came from, for messages.</summary>
    public string? Origin { get; }

    /// <summary>e_machine: 62 for x86-64, 183 for aarch64.</summary>
    public ushort Machine { get; }

    public IReadOnlyList<ElfSection> Sections { get; }

    /// <summary>Symbol table entries by index (index 0 is the null symbol); empty when the object has no symbol table.</summary>
    public IReadOnlyList<ElfSymbol> Symbols { get; }

    /// <summary>
    /// True for an ELF relocatable object of a native machine (x86-64, aarch64, ...) rather than
    /// eBPF bytecode: what <c>bpftime run x.o --engine aot</c> uses to pick the linker.
    /// </summary>
    public static bool IsNativeObject(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderSize || !bytes.StartsWith("\u007fELF"u8) || bytes[4] != 2 || bytes[5] != 1)
        {
            return false;
        }
        var type = BinaryPrimitives.ReadUInt16LittleEndian(bytes[16..]);
        var machine = BinaryPrimitives.ReadUInt16LittleEndian(bytes[18..]);
        return type == TypeRelocatable && machine != MachineBpf && machine != 0;
    }

    /// <summary>Reads an object; throws <see cref="BpfException"/> (BPF3100/3101) when it is not a well-formed ELF64 relocatable.</summary>
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
    public ReadOnlySpan<byte> Contents(ElfSection section) =>
        section.IsNoBits ? [] : _bytes.AsSpan((int)section.FileOffset, (int)section.Size);

    public ElfSection? FindSection(string name) => Sections.FirstOrDefault(s => s.Name == name);

    /// <summary>The relocations that patch <paramref name="section"/>.</summary>
    public IReadOnlyList<ElfRelocation> RelocationsFor(ElfSection section) =>
        _relocationsBySection.TryGetValue(section.Index, out var list) ? list : [];

    /// <summary>Defined global symbols by name (locals may repeat names and are not looked up by name).</summary>
    public ElfSymbol? FindGlobalSymbol(string name) =>
        Symbols.FirstOrDefault(s => s.IsGlobal && s.Name == name && !s.IsUndefined)
        ?? Symbols.FirstOrDefault(s => s.Name == name && s.Type != ElfSymbol.TypeSection && s.Type != ElfSymbol.TypeFile);

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

    // JSON null can still reach non-nullable members; find it before anything dereferences them.
    private static string? FindMissingField(AotMetadata metadata)
    {
        if (metadata.Triple is null)
        {
            return "triple is null";
        }
        if (metadata.Programs is null || metadata.Programs.Any(p => p is null || p.Name is null || p.Symbol is null))
        {
            return "a program, its name or its symbol is null";
        }
        if (metadata.Programs.Any(p => p.Helpers is null || p.Maps is null || p.Helpers.Any(h => h is null || h.Name is null || h.Signature is null)))
        {
            return "a program's helper or map list is null";
        }
        if (metadata.Maps is null || metadata.Maps.Any(m => m is null || m.Name is null))
        {
            return "a map or its name is null";
        }
        var duplicate = metadata.Programs.GroupBy(p => p.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            return $"two programs are named '{duplicate.Key}'";
        }
        return null;
    }

    private BpfException Malformed(string what) =>
        BpfException.Create(DiagnosticCodes.NativeObjectMalformed, $"the native object is malformed: {what}", Origin);

    private ushort ReadHeader()
    {
        var bytes = _bytes.AsSpan();
        if (bytes.Length < 4 || !bytes.StartsWith("\u007fELF"u8))
        {
            throw BpfException.Create(DiagnosticCodes.NativeObjectNotRelocatable, "not an ELF object (no \\x7fELF magic)", Origin);
        }
        if (bytes.Length < HeaderSize)
        {
            throw Malformed($"the file has {bytes.Length} bytes, fewer than an ELF64 header's {HeaderSize}");
        }
        var machine = BinaryPrimitives.ReadUInt16LittleEndian(bytes[18..]);
        if (bytes[4] != 2)
        {
            throw BpfException.Create(DiagnosticCodes.NativeObjectTargetMismatch,
                $"the object is 32-bit ELF ({MachineName(machine)}); this host links only x86_64 ELF64 objects", Origin);
        }
        if (bytes[5] != 1)
        {
            throw BpfException.Create(DiagnosticCodes.NativeObjectTargetMismatch,
                "the object is big-endian; this host links only little-endian x86_64 objects", Origin);
        }
        var type = BinaryPrimitives.ReadUInt16LittleEndian(bytes[16..]);
        if (type != TypeRelocatable)
        {
            throw BpfException.Create(DiagnosticCodes.NativeObjectNotRelocatable,
                $"the ELF file has type {type}, not a relocatable object (ET_REL, what `clang -c` makes)", Origin);
        }
        return machine;
    }

    private List<ElfSection> ReadSections()
    {
        var bytes = _bytes.AsSpan();
        var sectionOffset = BinaryPrimitives.ReadUInt64LittleEndian(bytes[0x28..]);
        var entrySize = BinaryPrimitives.ReadUInt16LittleEndian(bytes[0x3A..]);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(bytes[0x3C..]);
        int namesIndex = BinaryPrimitives.ReadUInt16LittleEndian(bytes[0x3E..]);
        if (count == 0 && sectionOffset == 0)
        {
            throw Malformed("the object has no section headers");
        }
        if (entrySize != SectionHeaderSize)
        {
            throw Malformed($"section header entries are {entrySize} bytes, not {SectionHeaderSize}");
        }
        if (count == 0 || namesIndex == 0xffff)
        {
            throw BpfException.Create(DiagnosticCodes.LinkUnsupportedSection,
                "the object uses extended section numbering (more than 65279 sections), which the linker does not read", Origin);
        }
        CheckRange(sectionOffset, (ulong)count * SectionHeaderSize, "the section header table");
        var raw = new (uint Name, uint Type, ulong Flags, ulong Offset, ulong Size, uint Link, uint Info, ulong Align, ulong EntSize)[count];
        for (var i = 0; i < count; i++)
        {
            var header = bytes.Slice((int)sectionOffset + (i * SectionHeaderSize), SectionHeaderSize);
            raw[i] = (BinaryPrimitives.ReadUInt32LittleEndian(header),
                BinaryPrimitives.ReadUInt32LittleEndian(header[4..]),
                BinaryPrimitives.ReadUInt64LittleEndian(header[8..]),
                BinaryPrimitives.ReadUInt64LittleEndian(header[0x18..]),
                BinaryPrimitives.ReadUInt64LittleEndian(header[0x20..]),
                BinaryPrimitives.ReadUInt32LittleEndian(header[0x28..]),
                BinaryPrimitives.ReadUInt32LittleEndian(header[0x2C..]),
                BinaryPrimitives.ReadUInt64LittleEndian(header[0x30..]),
                BinaryPrimitives.ReadUInt64LittleEndian(header[0x38..]));
            if (raw[i].Type != ElfSection.TypeNoBits)
            {
                CheckRange(raw[i].Offset, raw[i].Size, $"section {i}");
            }
            else if (raw[i].Size > int.MaxValue)
            {
                throw Malformed($"section {i} claims {raw[i].Size} zero-filled bytes");
            }
            if (raw[i].Align > 1 && (raw[i].Align & (raw[i].Align - 1)) != 0)
            {
                throw Malformed($"section {i} has alignment {raw[i].Align}, not a power of two");
            }
            if (raw[i].Align > 1 << 16)
            {
                throw Malformed($"section {i} asks for alignment {raw[i].Align}, more than 64 KiB");
            }
        }
        if (namesIndex >= count)
        {
            throw Malformed($"the section-name table index {namesIndex} is not below the section count {count}");
        }
        var names = raw[namesIndex];
        if (names.Type != ElfSection.TypeStringTable)
        {
            throw Malformed($"the section-name table (section {namesIndex}) is not a string table");
        }
        var nameTable = bytes.Slice((int)names.Offset, (int)names.Size);
        var sections = new List<ElfSection>(count);
        for (var i = 0; i < count; i++)
        {
            var r = raw[i];
            sections.Add(new ElfSection(i, ReadString(nameTable, r.Name, $"the name of section {i}"), r.Type, r.Flags,
                r.Offset, r.Size, r.Link, r.Info, r.Align == 0 ? 1 : r.Align, r.EntSize));
        }
        return sections;
    }

    private List<ElfSymbol> ReadSymbols()
    {
        var tables = Sections.Where(s => s.Type == ElfSection.TypeSymbolTable).ToList();
        if (tables.Count == 0)
        {
            return [];
        }
        if (tables.Count > 1)
        {
            throw Malformed("the object has more than one symbol table");
        }
        var table = tables[0];
        if (table.Size % SymbolSize != 0)
        {
            throw Malformed($"the symbol table's size {table.Size} is not a multiple of {SymbolSize}");
        }
        if (table.Link >= Sections.Count || Sections[(int)table.Link].Type != ElfSection.TypeStringTable)
        {
            throw Malformed($"the symbol table links to section {table.Link}, which is not a string table");
        }
        var strings = Contents(Sections[(int)table.Link]);
        var entries = Contents(table);
        var count = (int)(table.Size / SymbolSize);
        var symbols = new List<ElfSymbol>(count);
        for (var i = 0; i < count; i++)
        {
            var entry = entries.Slice(i * SymbolSize, SymbolSize);
            var nameOffset = BinaryPrimitives.ReadUInt32LittleEndian(entry);
            var section = BinaryPrimitives.ReadUInt16LittleEndian(entry[6..]);
            if (section == ElfSymbol.SectionExtended)
            {
                throw BpfException.Create(DiagnosticCodes.LinkUnsupportedSection,
                    $"symbol {i} uses an extended section index, which the linker does not read", Origin);
            }
            if (section != ElfSymbol.SectionUndefined && section < 0xff00 && section >= Sections.Count)
            {
                throw Malformed($"symbol {i} refers to section {section}, but the object has {Sections.Count}");
            }
            symbols.Add(new ElfSymbol(i, ReadString(strings, nameOffset, $"the name of symbol {i}"), entry[4], entry[5], section,
                BinaryPrimitives.ReadUInt64LittleEndian(entry[8..]), BinaryPrimitives.ReadUInt64LittleEndian(entry[16..])));
        }
        return symbols;
    }

    private void ReadRelocations()
    {
        foreach (var section in Sections)
        {
            if (section.Type == ElfSection.TypeRel)
            {
                throw BpfException.Create(DiagnosticCodes.LinkUnsupportedRelocation,
                    $"section {section.Name} holds REL relocations without addends; x86_64 objects use RELA", Origin);
            }
            if (section.Type != ElfSection.TypeRela)
            {
                continue;
            }
            if (section.Size % RelaSize != 0)
            {
                throw Malformed($"relocation section {section.Name} has size {section.Size}, not a multiple of {RelaSize}");
            }
            if (section.Info == 0 || section.Info >= Sections.Count)
            {
                throw Malformed($"relocation section {section.Name} applies to section {section.Info}, which does not exist");
            }
            if (Symbols.Count == 0 || section.Link >= Sections.Count || Sections[(int)section.Link].Type != ElfSection.TypeSymbolTable)
            {
                throw Malformed($"relocation section {section.Name} does not link to the symbol table");
            }
            var target = Sections[(int)section.Info];
            var entries = Contents(section);
            var list = new ElfRelocation[entries.Length / RelaSize];
            for (var i = 0; i < list.Length; i++)
            {
                var entry = entries.Slice(i * RelaSize, RelaSize);
                var offset = BinaryPrimitives.ReadUInt64LittleEndian(entry);
                var info = BinaryPrimitives.ReadUInt64LittleEndian(entry[8..]);
                var symbol = info >> 32;
                if (symbol >= (ulong)Symbols.Count)
                {
                    throw Malformed($"relocation {i} of {section.Name} names symbol {symbol}, but the table has {Symbols.Count}");
                }
                if (offset >= target.Size)
                {
                    throw Malformed($"relocation {i} of {section.Name} patches offset {offset}, outside {target.Name} ({target.Size} bytes)");
                }
                list[i] = new ElfRelocation(offset, (X64RelocationType)(uint)info, (int)symbol,
                    BinaryPrimitives.ReadInt64LittleEndian(entry[16..]));
            }
            if (_relocationsBySection.TryGetValue(target.Index, out var existing))
            {
                list = [.. existing, .. list];
            }
            _relocationsBySection[target.Index] = list;
        }
    }

    private void CheckRange(ulong offset, ulong size, string what)
    {
        if (offset > (ulong)_bytes.Length || size > (ulong)_bytes.Length - offset)
        {
            throw Malformed($"{what} spans bytes {offset}..{offset + size} but the file has {_bytes.Length}");
        }
    }

    private string ReadString(ReadOnlySpan<byte> table, uint offset, string what)
    {
        if (offset >= table.Length)
        {
            if (offset == 0)
            {
                return "";
            }
            throw Malformed($"{what} starts at string offset {offset}, outside its table ({table.Length} bytes)");
        }
        var rest = table[(int)offset..];
        var end = rest.IndexOf((byte)0);
        if (end < 0)
        {
            throw Malformed($"{what} is not NUL-terminated");
        }
        return Encoding.UTF8.GetString(rest[..end]);
    }
}
