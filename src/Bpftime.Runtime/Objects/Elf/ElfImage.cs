using System.Buffers.Binary;
using System.Text;
using Bpftime.Diagnostics;

namespace Bpftime.Objects.Elf;

/// <summary>
/// A little-endian ELF64 relocatable object for EM_BPF (or EM_NONE, as old LLVM wrote), read over a
/// byte array. Every offset and size taken from the file is checked against the file before it is
/// used, so a hostile object ends in a <see cref="BpfException"/> rather than an out-of-range access.
/// </summary>
internal sealed class ElfImage
{
    public const ushort MachineBpf = 247;

    /// <summary>EM_NONE: what old LLVM wrote for BPF objects; libbpf accepts it for relocatable objects, and so do we.</summary>
    public const ushort MachineNone = 0;
    private const int HeaderSize = 64;
    private const int SectionHeaderSize = 64;
    private const int SymbolSize = 24;
    private const ushort TypeRelocatable = 1;

    private readonly byte[] _bytes;
    private readonly string? _path;

    private ElfImage(byte[] bytes, string? path)
    {
        _bytes = bytes;
        _path = path;
    }

    /// <summary>e_machine: <see cref="MachineBpf"/>, or <see cref="MachineNone"/> for objects from old LLVM (relocatable only).</summary>
    public ushort Machine { get; private set; }

    public IReadOnlyList<ElfSection> Sections { get; private set; } = [];

    public IReadOnlyList<ElfSymbol> Symbols { get; private set; } = [];

    /// <summary>Relocations by the index of the section they patch.</summary>
    public IReadOnlyDictionary<int, IReadOnlyList<ElfRelocation>> Relocations { get; private set; } =
        new Dictionary<int, IReadOnlyList<ElfRelocation>>();

    public static bool HasElfMagic(ReadOnlySpan<byte> bytes) =>
        bytes.Length >= 4 && bytes[0] == 0x7f && bytes[1] == (byte)'E' && bytes[2] == (byte)'L' && bytes[3] == (byte)'F';

    public static ElfImage Parse(byte[] bytes, string? path)
    {
        var image = new ElfImage(bytes, path);
        image.ParseAll();
        return image;
    }

    /// <summary>The contents of a section (empty for NOBITS).</summary>
    public ReadOnlySpan<byte> Contents(ElfSection section) =>
        section.IsNoBits ? [] : _bytes.AsSpan(section.Offset, section.Size);

    public ReadOnlyMemory<byte> ContentsMemory(ElfSection section) =>
        section.IsNoBits ? ReadOnlyMemory<byte>.Empty : _bytes.AsMemory(section.Offset, section.Size);

    public ElfSection? FindSection(string name)
    {
        foreach (var section in Sections)
        {
            if (section.Name == name)
            {
                return section;
            }
        }
        return null;
    }

    public ElfSection? SectionAt(int index) => index >= 0 && index < Sections.Count ? Sections[index] : null;

    private BpfException Error(string code, string message) => BpfException.Create(code, message, _path);

    private void ParseAll()
    {
        var span = (ReadOnlySpan<byte>)_bytes;
        if (span.Length < HeaderSize)
        {
            throw Error(DiagnosticCodes.ElfHeaderTruncated, $"the ELF header needs 64 bytes but the file has {span.Length}; the object is truncated");
        }
        if (span[4] != 2)
        {
            throw Error(DiagnosticCodes.ElfWrongClass, $"ELF class {span[4]} is not ELFCLASS64; eBPF objects are 64-bit (clang -target bpf)");
        }
        if (span[5] != 1)
        {
            throw Error(DiagnosticCodes.ElfWrongEndianness, span[5] == 2
                ? "the object is big-endian (bpfeb); build it little-endian with clang -target bpf or bpfel"
                : $"ELF data encoding {span[5]} is neither little- nor big-endian");
        }
        var type = BinaryPrimitives.ReadUInt16LittleEndian(span[16..]);
        var machine = BinaryPrimitives.ReadUInt16LittleEndian(span[18..]);
        if (machine != MachineBpf && machine != MachineNone)
        {
            throw Error(DiagnosticCodes.ElfWrongMachine, $"ELF machine {machine} is not EM_BPF ({MachineBpf}); this is not an eBPF object");
        }
        Machine = machine;
        if (type != TypeRelocatable)
        {
            throw Error(DiagnosticCodes.ElfWrongType, $"ELF type {type} is not ET_REL; eBPF objects are relocatable objects (clang -c)");
        }
        var sectionHeaderOffset = BinaryPrimitives.ReadUInt64LittleEndian(span[40..]);
        var headerSize = BinaryPrimitives.ReadUInt16LittleEndian(span[52..]);
        var sectionHeaderEntrySize = BinaryPrimitives.ReadUInt16LittleEndian(span[58..]);
        var sectionCount = BinaryPrimitives.ReadUInt16LittleEndian(span[60..]);
        var namesIndex = BinaryPrimitives.ReadUInt16LittleEndian(span[62..]);
        if (headerSize < HeaderSize)
        {
            throw Error(DiagnosticCodes.ElfHeaderTruncated, $"e_ehsize is {headerSize}, smaller than the 64-byte ELF64 header");
        }
        if (sectionCount == 0)
        {
            // Extended numbering (count in section 0) is not produced for eBPF; no sections means nothing to read.
            throw Error(DiagnosticCodes.SectionHeadersOutOfBounds, "the object has no section headers (e_shnum is 0)");
        }
        if (sectionHeaderEntrySize != SectionHeaderSize)
        {
            throw Error(DiagnosticCodes.SectionHeadersOutOfBounds, $"e_shentsize is {sectionHeaderEntrySize}, not 64");
        }
        if (!Fits(sectionHeaderOffset, (ulong)sectionCount * SectionHeaderSize, (ulong)span.Length))
        {
            throw Error(DiagnosticCodes.SectionHeadersOutOfBounds,
                $"the section header table ({sectionCount} entries at offset {sectionHeaderOffset}) lies outside the {span.Length}-byte file; the object is truncated or corrupt");
        }
        if (namesIndex >= sectionCount)
        {
            throw Error(DiagnosticCodes.SectionHeadersOutOfBounds, $"e_shstrndx {namesIndex} is not one of the {sectionCount} sections");
        }

        var raw = new (uint Name, uint Type, ulong Flags, ulong Offset, ulong Size, uint Link, uint Info, ulong EntrySize)[sectionCount];
        for (var i = 0; i < sectionCount; i++)
        {
            var header = span.Slice((int)sectionHeaderOffset + (i * SectionHeaderSize), SectionHeaderSize);
            raw[i] = (
                BinaryPrimitives.ReadUInt32LittleEndian(header),
                BinaryPrimitives.ReadUInt32LittleEndian(header[4..]),
                BinaryPrimitives.ReadUInt64LittleEndian(header[8..]),
                BinaryPrimitives.ReadUInt64LittleEndian(header[24..]),
                BinaryPrimitives.ReadUInt64LittleEndian(header[32..]),
                BinaryPrimitives.ReadUInt32LittleEndian(header[40..]),
                BinaryPrimitives.ReadUInt32LittleEndian(header[44..]),
                BinaryPrimitives.ReadUInt64LittleEndian(header[56..]));
            var isNoBits = raw[i].Type == ElfSection.TypeNoBits || raw[i].Type == ElfSection.TypeNull;
            if (!isNoBits && !Fits(raw[i].Offset, raw[i].Size, (ulong)span.Length))
            {
                throw Error(DiagnosticCodes.SectionOutOfBounds,
                    $"section {i} ({raw[i].Size} bytes at offset {raw[i].Offset}) lies outside the {span.Length}-byte file; the object is truncated or corrupt");
            }
            if (isNoBits && raw[i].Size > int.MaxValue)
            {
                throw Error(DiagnosticCodes.SectionOutOfBounds, $"section {i} claims {raw[i].Size} bytes, more than an object can hold");
            }
        }

        var names = raw[namesIndex];
        if (names.Type != ElfSection.TypeStrTab)
        {
            throw Error(DiagnosticCodes.BadStringOffset, $"e_shstrndx {namesIndex} is not a string table");
        }
        var nameTable = span.Slice((int)names.Offset, (int)names.Size);
        var sections = new ElfSection[sectionCount];
        for (var i = 0; i < sectionCount; i++)
        {
            var name = i == 0 ? string.Empty : ReadString(nameTable, raw[i].Name, $"the name of section {i}");
            var isNoBits = raw[i].Type == ElfSection.TypeNoBits || raw[i].Type == ElfSection.TypeNull;
            sections[i] = new ElfSection(i, name, raw[i].Type, raw[i].Flags,
                isNoBits ? 0 : (int)raw[i].Offset, (int)raw[i].Size, raw[i].Link, raw[i].Info, raw[i].EntrySize);
        }
        Sections = sections;
        ParseSymbols();
        ParseRelocations();
    }

    private void ParseSymbols()
    {
        ElfSection? table = null;
        foreach (var section in Sections)
        {
            if (section.Type == ElfSection.TypeSymTab)
            {
                table = section;
                break;
            }
        }
        if (table is null)
        {
            return;
        }
        if (table.EntrySize != SymbolSize || table.Size % SymbolSize != 0)
        {
            throw Error(DiagnosticCodes.SymbolTableMalformed, $"the symbol table's entry size is {table.EntrySize} and its size {table.Size}; ELF64 symbols are 24 bytes");
        }
        var strings = SectionAt((int)Math.Min(table.Link, int.MaxValue));
        if (strings is null || strings.Type != ElfSection.TypeStrTab)
        {
            throw Error(DiagnosticCodes.SymbolTableMalformed, $"the symbol table links to section {table.Link}, which is not a string table");
        }
        var stringTable = Contents(strings);
        var data = Contents(table);
        var symbols = new ElfSymbol[table.Size / SymbolSize];
        for (var i = 0; i < symbols.Length; i++)
        {
            var entry = data.Slice(i * SymbolSize, SymbolSize);
            var nameOffset = BinaryPrimitives.ReadUInt32LittleEndian(entry);
            var info = entry[4];
            var sectionIndex = BinaryPrimitives.ReadUInt16LittleEndian(entry[6..]);
            var value = BinaryPrimitives.ReadUInt64LittleEndian(entry[8..]);
            var size = BinaryPrimitives.ReadUInt64LittleEndian(entry[16..]);
            var name = ReadString(stringTable, nameOffset, $"the name of symbol {i}");
            var symbol = new ElfSymbol(i, name, info, sectionIndex, value, size);
            if (symbol.IsInSection && symbol.SectionIndex >= Sections.Count)
            {
                throw Error(DiagnosticCodes.SymbolTableMalformed, $"symbol '{name}' names section {sectionIndex}, but the object has {Sections.Count}");
            }
            if (symbol.IsSection && string.IsNullOrEmpty(name) && symbol.IsInSection)
            {
                // Section symbols are unnamed in the table; they take their section's name.
                symbol = symbol with { Name = Sections[sectionIndex].Name };
            }
            symbols[i] = symbol;
        }
        Symbols = symbols;
    }

    private void ParseRelocations()
    {
        var relocations = new Dictionary<int, IReadOnlyList<ElfRelocation>>();
        foreach (var section in Sections)
        {
            if (section.Type is not (ElfSection.TypeRel or ElfSection.TypeRela))
            {
                continue;
            }
            var withAddend = section.Type == ElfSection.TypeRela;
            var entrySize = withAddend ? 24 : 16;
            if (section.Size % entrySize != 0)
            {
                throw Error(DiagnosticCodes.RelocationOutOfBounds, $"relocation section '{section.Name}' is {section.Size} bytes, not a whole number of {entrySize}-byte entries");
            }
            if (section.Info == 0 || section.Info >= Sections.Count)
            {
                throw Error(DiagnosticCodes.RelocationOutOfBounds, $"relocation section '{section.Name}' applies to section {section.Info}, which does not exist");
            }
            var data = Contents(section);
            var list = new List<ElfRelocation>(section.Size / entrySize);
            for (var offset = 0; offset < data.Length; offset += entrySize)
            {
                var entry = data.Slice(offset, entrySize);
                var info = BinaryPrimitives.ReadUInt64LittleEndian(entry[8..]);
                var symbolIndex = info >> 32;
                if (symbolIndex >= (ulong)Symbols.Count)
                {
                    throw Error(DiagnosticCodes.RelocationSymbolMissing,
                        $"a relocation in '{section.Name}' refers to symbol {symbolIndex}, but the symbol table has {Symbols.Count} entries");
                }
                list.Add(new ElfRelocation(
                    BinaryPrimitives.ReadUInt64LittleEndian(entry),
                    (int)symbolIndex,
                    (uint)info,
                    withAddend ? BinaryPrimitives.ReadInt64LittleEndian(entry[16..]) : 0));
            }
            var target = (int)section.Info;
            if (relocations.TryGetValue(target, out var existing))
            {
                list.InsertRange(0, existing);
            }
            relocations[target] = list;
        }
        Relocations = relocations;
    }

    private string ReadString(ReadOnlySpan<byte> table, uint offset, string what)
    {
        if (offset >= (uint)table.Length)
        {
            if (offset == 0 && table.Length == 0)
            {
                return string.Empty;
            }
            throw Error(DiagnosticCodes.BadStringOffset, $"{what} is at offset {offset}, outside the {table.Length}-byte string table");
        }
        var rest = table[(int)offset..];
        var end = rest.IndexOf((byte)0);
        if (end < 0)
        {
            throw Error(DiagnosticCodes.BadStringOffset, $"{what} at offset {offset} is not NUL-terminated inside its string table");
        }
        return Encoding.UTF8.GetString(rest[..end]);
    }

    private static bool Fits(ulong offset, ulong size, ulong length) =>
        offset <= length && size <= length - offset && size <= int.MaxValue;
}
