using System.Runtime.CompilerServices;
using System.Text;
using Bpftime.Diagnostics;

namespace Bpftime.Elf;

/// <summary>
/// A little-endian ELF64 relocatable object — an eBPF object or a native one — read over its bytes.
/// Every offset, size and index taken from the file is checked before it is used, so a hostile object
/// ends in the <see cref="BpfException"/> its <see cref="ElfReadPolicy"/> chooses, never in an
/// out-of-range read.
/// </summary>
public sealed class ElfImage
{
    public const ushort MachineNone = 0;
    public const ushort MachineX64 = 62;
    public const ushort MachineAArch64 = 183;
    public const ushort MachineBpf = 247;

    public const int HeaderSize = 64;
    public const ushort TypeRelocatable = 1;
    private const int SectionHeaderSize = 64;
    private const int SymbolSize = 24;
    private const int RelSize = 16;
    private const int RelaSize = 24;
    private const ulong MaxAlignment = 1 << 16;

    private readonly byte[] _bytes;
    private readonly ElfReadPolicy _policy;
    private readonly string? _origin;

    // Arrays, not lists or dictionaries: framework collections over this assembly's structs are compiled at
    // run time, even when the rest ships precompiled, and each instantiation loads a dozen types at start.
    private readonly ElfSection[] _sections;
    private readonly ElfSymbol[] _symbols;

    // By the index of the section they patch; null where none do.
    private readonly ElfRelocation[]?[] _relocations;
    private Dictionary<int, IReadOnlyList<ElfRelocation>>? _relocationLists;

    private ElfImage(byte[] bytes, ElfReadPolicy policy, string? origin)
    {
        _bytes = bytes;
        _policy = policy;
        _origin = origin;
        Machine = ReadHeader();
        _sections = ReadSections();
        _symbols = ReadSymbols();
        _relocations = ReadRelocations();
    }

    /// <summary>e_machine, one the policy accepted.</summary>
    public ushort Machine { get; }

    public IReadOnlyList<ElfSection> Sections => _sections;

    /// <summary>Symbol table entries by index (index 0 is the null symbol); empty when the object has no symbol table.</summary>
    public IReadOnlyList<ElfSymbol> Symbols => _symbols;

    /// <summary>Relocations by the index of the section they patch, in the order their relocation sections first name them.</summary>
    public IReadOnlyDictionary<int, IReadOnlyList<ElfRelocation>> Relocations => _relocationLists ??= RelocationsByTarget();

    /// <summary>As <see cref="Sections"/>, the array itself (the caller must not change it): loops over it need no enumerator.</summary>
    internal ElfSection[] SectionArray => _sections;

    /// <summary>As <see cref="Symbols"/>, the array itself (the caller must not change it).</summary>
    internal ElfSymbol[] SymbolArray => _symbols;

    // Byte by byte rather than a UTF-8 literal: a literal's data lives in a type whose first use loads one type per literal size of the assembly.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool HasElfMagic(ReadOnlySpan<byte> bytes) =>
        bytes.Length >= 4 && bytes[0] == 0x7f && bytes[1] == (byte)'E' && bytes[2] == (byte)'L' && bytes[3] == (byte)'F';

    /// <summary>e_machine and e_type of a little-endian ELF64 header, or null when the bytes are not one.</summary>
    public static (ushort Machine, ushort Type)? PeekHeader(ReadOnlySpan<byte> bytes) =>
        bytes.Length < HeaderSize || !HasElfMagic(bytes) || bytes[4] != 2 || bytes[5] != 1
            ? null
            : (LittleEndianBytes.ReadUInt16(bytes, 18), LittleEndianBytes.ReadUInt16(bytes, 16));

    /// <summary>Reads <paramref name="bytes"/>, which the image keeps (callers pass a buffer they no longer change).</summary>
    public static ElfImage Parse(byte[] bytes, ElfReadPolicy policy, string? origin) => new(bytes, policy, origin);

    /// <summary>The contents of a section (empty for NOBITS).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<byte> Contents(ElfSection section) =>
        section.IsNoBits || section.Type == ElfSection.TypeNull ? default : new ReadOnlySpan<byte>(_bytes, section.Offset, section.Size);

    public ReadOnlyMemory<byte> ContentsMemory(ElfSection section) =>
        section.IsNoBits || section.Type == ElfSection.TypeNull ? ReadOnlyMemory<byte>.Empty : _bytes.AsMemory(section.Offset, section.Size);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ElfSection? FindSection(string name)
    {
        foreach (var section in _sections)
        {
            if (section.Name == name)
            {
                return section;
            }
        }
        return null;
    }

    public ElfSection? SectionAt(int index) => (uint)index < (uint)_sections.Length ? _sections[index] : null;

    /// <summary>The relocations that patch <paramref name="section"/>.</summary>
    public IReadOnlyList<ElfRelocation> RelocationsFor(ElfSection section) => RelocationArrayFor(section) ?? [];

    /// <summary>The relocations that patch <paramref name="section"/>, or null when none do; the caller must not change the array.</summary>
    internal ElfRelocation[]? RelocationArrayFor(ElfSection section) =>
        (uint)section.Index < (uint)_relocations.Length ? _relocations[section.Index] : null;

    private BpfException Refuse(ElfProblem problem, string message, ulong value = 0) => _policy.Refuse(problem, message, value, _origin);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ushort ReadHeader()
    {
        var span = (ReadOnlySpan<byte>)_bytes;
        if (!HasElfMagic(span))
        {
            throw Refuse(ElfProblem.NotElf, "not an ELF object (no \\x7fELF magic)");
        }
        if (span.Length < HeaderSize)
        {
            throw Refuse(ElfProblem.HeaderTruncated, $"the ELF header needs 64 bytes but the file has {span.Length}; the object is truncated", (ulong)span.Length);
        }
        if (span[4] != 2)
        {
            throw Refuse(ElfProblem.WrongClass, $"ELF class {span[4]} is not ELFCLASS64", span[4]);
        }
        if (span[5] != 1)
        {
            throw Refuse(ElfProblem.WrongEndianness, $"ELF data encoding {span[5]} is not little-endian", span[5]);
        }
        var type = LittleEndianBytes.ReadUInt16(span, 16);
        var machine = LittleEndianBytes.ReadUInt16(span, 18);
        if (!_policy.AcceptsMachine(machine))
        {
            throw Refuse(ElfProblem.WrongMachine, $"ELF machine {machine} is not one this reader accepts", machine);
        }
        if (type != TypeRelocatable)
        {
            throw Refuse(ElfProblem.WrongType, $"ELF type {type} is not ET_REL", type);
        }
        var headerSize = LittleEndianBytes.ReadUInt16(span, 52);
        if (headerSize < HeaderSize)
        {
            throw Refuse(ElfProblem.HeaderTruncated, $"e_ehsize is {headerSize}, smaller than the 64-byte ELF64 header", headerSize);
        }
        return machine;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ElfSection[] ReadSections()
    {
        var span = (ReadOnlySpan<byte>)_bytes;
        var sectionHeaderOffset = LittleEndianBytes.ReadUInt64(span, 40);
        var entrySize = LittleEndianBytes.ReadUInt16(span, 58);
        var count = LittleEndianBytes.ReadUInt16(span, 60);
        var namesIndex = LittleEndianBytes.ReadUInt16(span, 62);
        if (count == 0 && sectionHeaderOffset == 0)
        {
            throw Refuse(ElfProblem.SectionHeadersOutOfBounds, "the object has no section headers (e_shnum is 0)");
        }
        if (count == 0 || namesIndex == 0xffff)
        {
            throw Refuse(ElfProblem.ExtendedNumbering, "the object uses extended section numbering (e_shnum 0 or e_shstrndx SHN_XINDEX), which is not read");
        }
        if (entrySize != SectionHeaderSize)
        {
            throw Refuse(ElfProblem.SectionHeadersOutOfBounds, $"e_shentsize is {entrySize}, not 64");
        }
        if (!Fits(sectionHeaderOffset, (ulong)count * SectionHeaderSize))
        {
            throw Refuse(ElfProblem.SectionHeadersOutOfBounds,
                $"the section header table ({count} entries at offset {sectionHeaderOffset}) lies outside the {span.Length}-byte file; the object is truncated or corrupt");
        }
        if (namesIndex >= count)
        {
            throw Refuse(ElfProblem.SectionHeadersOutOfBounds, $"e_shstrndx {namesIndex} is not one of the {count} sections");
        }

        // Two passes over the headers, checking every section before any name is read; no struct of the raw
        // fields in between, whose type and array type would be two more types to load.
        // Headers are read at their offsets in the file (no slice per header: each span method is a lookup at start).
        var table = (int)sectionHeaderOffset;
        for (var i = 0; i < count; i++)
        {
            var header = table + (i * SectionHeaderSize);
            var type = LittleEndianBytes.ReadUInt32(span, header + 4);
            var offset = LittleEndianBytes.ReadUInt64(span, header + 24);
            var size = LittleEndianBytes.ReadUInt64(span, header + 32);
            var align = LittleEndianBytes.ReadUInt64(span, header + 48);
            var hasNoBytes = type is ElfSection.TypeNoBits or ElfSection.TypeNull;
            if (!hasNoBytes && !Fits(offset, size))
            {
                throw Refuse(ElfProblem.SectionOutOfBounds,
                    $"section {i} ({size} bytes at offset {offset}) lies outside the {span.Length}-byte file; the object is truncated or corrupt");
            }
            if (hasNoBytes && size > int.MaxValue)
            {
                throw Refuse(ElfProblem.SectionOutOfBounds, $"section {i} claims {size} bytes, more than an object can hold");
            }
            if (align > 1 && (align & (align - 1)) != 0)
            {
                throw Refuse(ElfProblem.SectionOutOfBounds, $"section {i} has alignment {align}, not a power of two");
            }
            if (align > MaxAlignment)
            {
                throw Refuse(ElfProblem.SectionOutOfBounds, $"section {i} asks for alignment {align}, more than 64 KiB");
            }
        }

        var names = table + (namesIndex * SectionHeaderSize);
        if (LittleEndianBytes.ReadUInt32(span, names + 4) != ElfSection.TypeStringTable)
        {
            throw Refuse(ElfProblem.StringOutOfBounds, $"e_shstrndx {namesIndex} is not a string table");
        }
        var nameTable = new ReadOnlySpan<byte>(_bytes, (int)LittleEndianBytes.ReadUInt64(span, names + 24), (int)LittleEndianBytes.ReadUInt64(span, names + 32));
        var sections = new ElfSection[count];
        for (var i = 0; i < count; i++)
        {
            var header = table + (i * SectionHeaderSize);
            var type = LittleEndianBytes.ReadUInt32(span, header + 4);
            var align = LittleEndianBytes.ReadUInt64(span, header + 48);
            var name = i == 0 ? string.Empty : ReadString(nameTable, LittleEndianBytes.ReadUInt32(span, header), "section", i);
            var hasNoBytes = type is ElfSection.TypeNoBits or ElfSection.TypeNull;
            sections[i] = new ElfSection(i, name, type, LittleEndianBytes.ReadUInt64(span, header + 8),
                hasNoBytes ? 0 : (int)LittleEndianBytes.ReadUInt64(span, header + 24), (int)LittleEndianBytes.ReadUInt64(span, header + 32),
                LittleEndianBytes.ReadUInt32(span, header + 40), LittleEndianBytes.ReadUInt32(span, header + 44),
                align == 0 ? 1 : align, LittleEndianBytes.ReadUInt64(span, header + 56));
        }
        return sections;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ElfSymbol[] ReadSymbols()
    {
        ElfSection? table = null;
        foreach (var section in _sections)
        {
            if (section.Type != ElfSection.TypeSymbolTable)
            {
                continue;
            }
            if (table is not null)
            {
                throw Refuse(ElfProblem.SymbolTableMalformed, "the object has more than one symbol table");
            }
            table = section;
        }
        if (table is null)
        {
            return [];
        }
        if (table.EntrySize != SymbolSize || table.Size % SymbolSize != 0)
        {
            throw Refuse(ElfProblem.SymbolTableMalformed, $"the symbol table's entry size is {table.EntrySize} and its size {table.Size}; ELF64 symbols are 24 bytes");
        }
        var strings = SectionAt((int)Math.Min(table.Link, int.MaxValue));
        if (strings is null || strings.Type != ElfSection.TypeStringTable)
        {
            throw Refuse(ElfProblem.SymbolTableMalformed, $"the symbol table links to section {table.Link}, which is not a string table");
        }
        var stringTable = Contents(strings);
        var data = Contents(table);
        var symbols = new ElfSymbol[table.Size / SymbolSize];
        for (var i = 0; i < symbols.Length; i++)
        {
            var entry = i * SymbolSize;
            var nameOffset = LittleEndianBytes.ReadUInt32(data, entry);
            var sectionIndex = LittleEndianBytes.ReadUInt16(data, entry + 6);
            var name = ReadString(stringTable, nameOffset, "symbol", i);
            if (sectionIndex == ElfSymbol.SectionExtended)
            {
                throw Refuse(ElfProblem.ExtendedNumbering, $"symbol {i} ('{name}') uses an extended section index, which is not read");
            }
            var symbol = new ElfSymbol(i, name, data[entry + 4], data[entry + 5], sectionIndex,
                LittleEndianBytes.ReadUInt64(data, entry + 8), LittleEndianBytes.ReadUInt64(data, entry + 16));
            if (symbol.IsInSection && sectionIndex >= _sections.Length)
            {
                throw Refuse(ElfProblem.SymbolTableMalformed, $"symbol '{name}' names section {sectionIndex}, but the object has {_sections.Length}");
            }
            if (symbol.IsSection && name.Length == 0 && symbol.IsInSection)
            {
                // Section symbols are unnamed in the table; they take their section's name.
                symbol = symbol with { Name = _sections[sectionIndex].Name };
            }
            symbols[i] = symbol;
        }
        return symbols;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ElfRelocation[]?[] ReadRelocations()
    {
        var relocations = new ElfRelocation[]?[_sections.Length];
        foreach (var section in _sections)
        {
            if (section.Type is not (ElfSection.TypeRel or ElfSection.TypeRela))
            {
                continue;
            }
            var withAddend = section.Type == ElfSection.TypeRela;
            if (!withAddend && !_policy.AcceptsRel)
            {
                throw Refuse(ElfProblem.RelWithoutAddends, $"section {section.Name} holds REL relocations without addends; only RELA is read here");
            }
            var entrySize = withAddend ? RelaSize : RelSize;
            if (section.Size % entrySize != 0)
            {
                throw Refuse(ElfProblem.RelocationOutOfBounds, $"relocation section '{section.Name}' is {section.Size} bytes, not a whole number of {entrySize}-byte entries");
            }
            if (section.Info == 0 || section.Info >= _sections.Length)
            {
                throw Refuse(ElfProblem.RelocationOutOfBounds, $"relocation section '{section.Name}' applies to section {section.Info}, which does not exist");
            }
            if (section.Size > 0 && (_symbols.Length == 0 || section.Link >= _sections.Length || _sections[(int)section.Link].Type != ElfSection.TypeSymbolTable))
            {
                throw Refuse(ElfProblem.RelocationSymbolMissing, $"relocation section '{section.Name}' does not link to the symbol table");
            }
            var target = _sections[(int)section.Info];
            var data = Contents(section);
            var list = new ElfRelocation[section.Size / entrySize];
            for (var offset = 0; offset < data.Length; offset += entrySize)
            {
                var patched = LittleEndianBytes.ReadUInt64(data, offset);
                var info = LittleEndianBytes.ReadUInt64(data, offset + 8);
                var symbolIndex = info >> 32;
                if (symbolIndex >= (ulong)_symbols.Length)
                {
                    throw Refuse(ElfProblem.RelocationSymbolMissing,
                        $"a relocation in '{section.Name}' refers to symbol {symbolIndex}, but the symbol table has {_symbols.Length} entries");
                }
                if (patched >= (ulong)target.Size)
                {
                    throw Refuse(ElfProblem.RelocationOutOfBounds,
                        $"a relocation in '{section.Name}' patches offset {patched}, outside '{target.Name}' ({target.Size} bytes)");
                }
                list[offset / entrySize] = new ElfRelocation(patched, (int)symbolIndex, (uint)info, withAddend ? LittleEndianBytes.ReadInt64(data, offset + 16) : 0);
            }
            relocations[target.Index] = relocations[target.Index] is { } existing ? Concatenate(existing, list) : list;
        }
        return relocations;
    }

    // Two relocation sections for one target are rare; kept apart so the common read does not name the spread's span type.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ElfRelocation[] Concatenate(ElfRelocation[] first, ElfRelocation[] second) => [.. first, .. second];

    // The dictionary ObjectReader walks, built on first use in the order the old reader filled it (first relocation section per target).
    private Dictionary<int, IReadOnlyList<ElfRelocation>> RelocationsByTarget()
    {
        var byTarget = new Dictionary<int, IReadOnlyList<ElfRelocation>>();
        foreach (var section in _sections)
        {
            if (section.Type is (ElfSection.TypeRel or ElfSection.TypeRela) && _relocations[(int)section.Info] is { } relocations)
            {
                byTarget.TryAdd((int)section.Info, relocations);
            }
        }
        return byTarget;
    }

    /// <summary>The name of <paramref name="owner"/> number <paramref name="index"/>; the message naming it is made only when the name is refused.</summary>
    private string ReadString(ReadOnlySpan<byte> table, uint offset, string owner, int index)
    {
        if (offset >= (uint)table.Length)
        {
            if (offset == 0)
            {
                return string.Empty;
            }
            throw Refuse(ElfProblem.StringOutOfBounds, $"the name of {owner} {index} is at offset {offset}, outside the {table.Length}-byte string table");
        }
        // A loop rather than IndexOf, whose vectorized search loads its own generic types for a few short names.
        var end = (int)offset;
        while (end < table.Length && table[end] != 0)
        {
            end++;
        }
        if (end == table.Length)
        {
            throw Refuse(ElfProblem.StringOutOfBounds, $"the name of {owner} {index} at offset {offset} is not NUL-terminated inside its string table");
        }
        return Encoding.UTF8.GetString(table.Slice((int)offset, end - (int)offset));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Fits(ulong offset, ulong size) =>
        offset <= (ulong)_bytes.Length && size <= (ulong)_bytes.Length - offset && size <= int.MaxValue;
}
