using System.Buffers.Binary;
using Bpftime.Diagnostics;
using Bpftime.Elf;

namespace Bpftime.Objects.Linking;

/// <summary>
/// The maps of an ELF object in the order programs index them: BTF-defined maps of `.maps`, then
/// legacy entries of `maps` and `maps/NAME` sections (in section order, each by symbol offset), then
/// one global-data region per .data, .rodata and .bss section (and their dotted variants), in section
/// order. A global-data region is named after its section (".rodata", ".data", ".bss", ".rodata.str1.1").
/// </summary>
/// <remarks>
/// Maps of maps need their inner map's layout: BTF maps give it with __array(values, ...); legacy
/// entries of the samples' 28-byte struct (type, key_size, value_size, max_entries, map_flags,
/// inner_map_idx, numa_node) name it by index among the legacy maps, as the kernel samples' loader
/// read it. Without one, a warning says that lookups in the map cannot be verified.
/// </remarks>
internal sealed class MapCatalog
{
    public const string BtfMapsSection = ".maps";
    public const string LegacyMapsSection = "maps";
    private const int GlobalDataLimit = 16 << 20;
    private const uint ReadOnlyProgramFlag = 0x80; // BPF_F_RDONLY_PROG

    private readonly List<MapSpec> _maps = [];
    private readonly Dictionary<(int Section, ulong Offset), int> _declared = [];
    private readonly Dictionary<int, int> _globalData = [];
    private readonly Dictionary<int, ulong> _valuesOffsets = [];

    public IReadOnlyList<MapSpec> Maps => _maps;

    /// <summary>What the object's map declarations leave unsaid (maps of maps without an inner layout).</summary>
    public List<BpfDiagnostic> Warnings { get; } = [];

    public static bool IsMapSection(ElfSection section) => section.Name is BtfMapsSection || IsLegacyMapsSection(section);

    /// <summary>`maps`, or `maps/NAME` (one map per section, as older loaders and the samples wrote them).</summary>
    private static bool IsLegacyMapsSection(ElfSection section) =>
        section.Name == LegacyMapsSection || (section.Name.StartsWith(LegacyMapsSection + "/", StringComparison.Ordinal) && section.Name.Length > LegacyMapsSection.Length + 1
            && section.Type == ElfSection.TypeProgBits && (section.Flags & ElfSection.FlagExecute) == 0);

    public bool TryGetDeclared(int section, ulong offset, out int index) => _declared.TryGetValue((section, offset), out index);

    public bool TryGetGlobalData(int section, out int index) => _globalData.TryGetValue(section, out index);

    public static bool IsGlobalDataSection(ElfSection section)
    {
        if (section.Type is not (ElfSection.TypeProgBits or ElfSection.TypeNoBits) || (section.Flags & ElfSection.FlagAlloc) == 0
            || (section.Flags & ElfSection.FlagExecute) != 0)
        {
            return false;
        }
        return HasPrefix(section.Name, ".data") || HasPrefix(section.Name, ".rodata") || HasPrefix(section.Name, ".bss");
    }

    private static bool HasPrefix(string name, string prefix) =>
        name == prefix || (name.StartsWith(prefix, StringComparison.Ordinal) && name.Length > prefix.Length && name[prefix.Length] == '.');

    public static MapCatalog Build(ElfImage elf, Btf? btf, string? file)
    {
        var catalog = new MapCatalog();
        var btfMaps = elf.FindSection(BtfMapsSection);
        if (btfMaps is not null)
        {
            catalog.ReadBtfMaps(elf, btfMaps, btf, file);
        }
        catalog.ReadLegacyMaps(elf, [.. elf.Sections.Where(IsLegacyMapsSection)], file);
        catalog.WarnAboutMissingInnerMaps(file);
        foreach (var section in elf.Sections)
        {
            if (IsGlobalDataSection(section) && section.Size > 0)
            {
                catalog.AddGlobalData(elf, section, btf, file);
            }
        }
        return catalog;
    }

    private static List<ElfSymbol> MapSymbols(ElfImage elf, ElfSection section) =>
        elf.Symbols
            .Where(s => s.SectionIndex == section.Index && !s.IsSection && s.Name.Length > 0 && s.Type is ElfSymbol.TypeObject or ElfSymbol.TypeNone)
            .GroupBy(s => s.Value)
            .Select(g => g.First())
            .OrderBy(s => s.Value)
            .ToList();

    private void ReadBtfMaps(ElfImage elf, ElfSection section, Btf? btf, string? file)
    {
        var symbols = MapSymbols(elf, section);
        if (symbols.Count == 0)
        {
            return;
        }
        if (btf is null)
        {
            throw BpfException.Create(DiagnosticCodes.MapsSectionWithoutBtf,
                "the object declares maps in .maps but has no .BTF to describe them; compile with -g", file);
        }
        var dataSection = btf.FindByName(BtfMapsSection, BtfKind.DataSection);
        foreach (var symbol in symbols)
        {
            BtfType? variable = null;
            if (dataSection is not null)
            {
                foreach (var entry in dataSection.Variables)
                {
                    var candidate = btf.GetType(entry.TypeId);
                    if (candidate.Kind == BtfKind.Variable && candidate.Name == symbol.Name)
                    {
                        variable = candidate;
                        break;
                    }
                }
            }
            variable ??= btf.FindByName(symbol.Name, BtfKind.Variable);
            if (variable is null)
            {
                throw BpfException.Create(DiagnosticCodes.MapDefinitionInvalid,
                    $"map '{symbol.Name}' in .maps has no BTF variable describing it", file);
            }
            var spec = DecodeBtfMap(btf, symbol.Name, variable.TypeId, file, allowInner: true, out var valuesOffset) with { Section = BtfMapsSection };
            _declared[(section.Index, symbol.Value)] = _maps.Count;
            _maps.Add(spec);
            if (valuesOffset is { } offset)
            {
                _valuesOffsets[_maps.Count - 1] = offset;
            }
        }
        ReadInitialSlots(elf, section, symbols, file);
    }

    /// <summary>
    /// Reads <c>.values = { [i] = &amp;target }</c> of program arrays and maps of maps: clang leaves a
    /// relocation in `.maps` against the target's symbol at the pointer's place in the map's values
    /// member, as libbpf reads them (slot = (offset - values offset) / 8).
    /// </summary>
    private void ReadInitialSlots(ElfImage elf, ElfSection section, List<ElfSymbol> symbols, string? file)
    {
        var relocations = elf.RelocationsFor(section);
        if (relocations.Count == 0)
        {
            return;
        }
        var slots = new Dictionary<int, SortedDictionary<uint, MapSlot>>();
        foreach (var relocation in relocations)
        {
            BpfException Bad(string message) =>
                BpfException.Create(DiagnosticCodes.MapSlotInitialiserInvalid, $"the relocation at offset {relocation.Offset} of .maps {message}", file);

            var owner = -1;
            for (var i = 0; i < symbols.Count; i++)
            {
                var end = symbols[i].Size != 0 ? symbols[i].Value + symbols[i].Size : (i + 1 < symbols.Count ? symbols[i + 1].Value : (ulong)section.Size);
                if (relocation.Offset >= symbols[i].Value && relocation.Offset < end)
                {
                    owner = i;
                    break;
                }
            }
            if (owner < 0 || !_declared.TryGetValue((section.Index, symbols[owner].Value), out var mapIndex))
            {
                throw Bad("lies in no map declaration");
            }
            var map = _maps[mapIndex];
            if (map.Type != MapType.ProgArray && !IsMapOfMaps(map.Type))
            {
                throw Bad($"initialises map '{map.Name}', a {map.Type}: only program arrays and maps of maps take .values");
            }
            if (!_valuesOffsets.TryGetValue(mapIndex, out var valuesOffset))
            {
                throw Bad($"initialises map '{map.Name}', which declares no __array(values, ...) member");
            }
            var within = relocation.Offset - symbols[owner].Value;
            if (within < valuesOffset || (within - valuesOffset) % 8 != 0)
            {
                throw Bad($"does not point at a slot of map '{map.Name}''s values (they start at byte {valuesOffset}, 8 bytes a slot)");
            }
            var index = (within - valuesOffset) / 8;
            if (index >= map.MaxEntries)
            {
                throw Bad($"fills slot {index} of map '{map.Name}', which has {map.MaxEntries} entries");
            }
            if (map.KeySize != 4)
            {
                throw Bad($"initialises map '{map.Name}', whose key is {map.KeySize} bytes: slots are 4-byte keys");
            }
            if (relocation.SymbolIndex <= 0 || relocation.SymbolIndex >= elf.Symbols.Count)
            {
                throw Bad($"names symbol {relocation.SymbolIndex}, which the symbol table does not have");
            }
            var target = elf.Symbols[relocation.SymbolIndex];
            string? refusal = null;
            if (map.Type == MapType.ProgArray)
            {
                var code = target.IsInSection && target.SectionIndex < elf.Sections.Count ? elf.Sections[target.SectionIndex] : null;
                if (!target.IsFunction || code is null || (code.Flags & ElfSection.FlagExecute) == 0)
                {
                    throw Bad($"puts '{target.Name}' into program array '{map.Name}': only a program (a function in its own program section) can be a slot's value");
                }
                if (code.Name == ".text")
                {
                    refusal = Bad($"puts '{target.Name}' into program array '{map.Name}': '{target.Name}' is a subprogram of .text, and only a program (a function in its own program section) can be a slot's value").Message;
                }
            }
            else if (target.SectionIndex != section.Index || !_declared.TryGetValue((section.Index, target.Value), out var inner) || _maps[inner].Name != target.Name)
            {
                throw Bad($"puts '{target.Name}' into map of maps '{map.Name}': only another map of .maps can be a slot's value");
            }
            if (!slots.TryGetValue(mapIndex, out var mapSlots))
            {
                slots[mapIndex] = mapSlots = [];
            }
            mapSlots[(uint)index] = new MapSlot((uint)index, target.Name) { Refusal = refusal };
        }
        foreach (var (mapIndex, mapSlots) in slots)
        {
            _maps[mapIndex] = _maps[mapIndex] with { InitialSlots = [.. mapSlots.Values] };
        }
    }

    /// <summary>Decodes a libbpf map definition struct: __uint fields are pointers to arrays whose length is the value.</summary>
    /// <remarks><paramref name="valuesOffset"/>: the byte offset of the __array(values, ...) member, where initial slots start.</remarks>
    private static MapSpec DecodeBtfMap(Btf btf, string name, uint typeId, string? file, bool allowInner, out ulong? valuesOffset)
    {
        valuesOffset = null;
        BpfException Bad(string message) =>
            BpfException.Create(DiagnosticCodes.MapDefinitionInvalid, $"map '{name}': {message}", file);

        var definition = btf.SkipModifiers(typeId);
        if (definition.Kind != BtfKind.Struct)
        {
            throw Bad($"its BTF type is a {definition.Kind}, not a struct of __uint/__type fields");
        }
        uint type = 0, keySize = 0, valueSize = 0, maxEntries = 0, flags = 0, pinning = 0, keyType = 0, valueType = 0;
        MapSpec? inner = null;
        foreach (var member in definition.Members)
        {
            switch (member.Name)
            {
                case "type":
                    type = UintField(btf, member, Bad);
                    break;
                case "max_entries":
                    maxEntries = UintField(btf, member, Bad);
                    break;
                case "map_flags":
                    flags = UintField(btf, member, Bad);
                    break;
                case "key_size":
                    keySize = UintField(btf, member, Bad);
                    break;
                case "value_size":
                    valueSize = UintField(btf, member, Bad);
                    break;
                case "pinning":
                    pinning = UintField(btf, member, Bad);
                    break;
                case "key":
                    keyType = PointeeType(btf, member, Bad);
                    keySize = btf.ResolveSize(keyType);
                    break;
                case "value":
                    valueType = PointeeType(btf, member, Bad);
                    valueSize = btf.ResolveSize(valueType);
                    break;
                case "values":
                    // __array(values, struct inner_def): an array of pointers to the inner definition.
                    var array = btf.SkipModifiers(member.TypeId);
                    if (array.Kind != BtfKind.Array)
                    {
                        throw Bad("'values' is not an array");
                    }
                    var pointer = btf.SkipModifiers(array.Array!.ElementTypeId);
                    if (pointer.Kind != BtfKind.Pointer)
                    {
                        throw Bad("'values' is not an array of pointers");
                    }
                    if (array.Array.Count != 0)
                    {
                        throw Bad($"'values' declares {array.Array.Count} elements; declare it with __array(values, ...), an array without a size");
                    }
                    var target = btf.SkipModifiers(pointer.TypeId);
                    if (target.Kind == BtfKind.Struct && allowInner)
                    {
                        inner = DecodeBtfMap(btf, name + ".inner", target.Id, file, allowInner: false, out _);
                        valueSize = 4;
                    }
                    else if (target.Kind == BtfKind.FunctionProto)
                    {
                        // __array(values, int (void *)): a program array's slots hold programs, 4-byte ids.
                        valueSize = 4;
                    }
                    valuesOffset = member.BitOffset / 8;
                    break;
                default:
                    break;
            }
        }
        return new MapSpec(name, (MapType)type, keySize, valueSize, maxEntries, flags)
        {
            KeyTypeId = keyType,
            ValueTypeId = valueType,
            SpinLockOffset = btf.SpinLockOffset(valueType),
            Pinning = pinning,
            InnerMap = inner,
            IsReadOnlyForPrograms = (flags & ReadOnlyProgramFlag) != 0,
        };
    }

    private static uint UintField(Btf btf, BtfMember member, Func<string, BpfException> bad)
    {
        var pointer = btf.SkipModifiers(member.TypeId);
        if (pointer.Kind != BtfKind.Pointer)
        {
            throw bad($"field '{member.Name}' is not declared with __uint (a pointer to an array)");
        }
        var array = btf.SkipModifiers(pointer.TypeId);
        if (array.Kind != BtfKind.Array)
        {
            throw bad($"field '{member.Name}' is not declared with __uint (a pointer to an array)");
        }
        return array.Array!.Count;
    }

    private static uint PointeeType(Btf btf, BtfMember member, Func<string, BpfException> bad)
    {
        var pointer = btf.SkipModifiers(member.TypeId);
        if (pointer.Kind != BtfKind.Pointer)
        {
            throw bad($"field '{member.Name}' is not declared with __type (a pointer to the type)");
        }
        return pointer.TypeId;
    }

    private void ReadLegacyMaps(ElfImage elf, List<ElfSection> sections, string? file)
    {
        var first = _maps.Count;
        var innerIndexes = new List<(int Map, uint Inner)>();
        foreach (var section in sections)
        {
            var symbols = MapSymbols(elf, section);
            var contents = elf.Contents(section);
            for (var i = 0; i < symbols.Count; i++)
            {
                var symbol = symbols[i];
                // struct bpf_map_def: type, key_size, value_size, max_entries, map_flags (4 bytes each); the samples'
                // loader added inner_map_idx and numa_node; other trailing fields vary and are ignored.
                var size = symbol.Size != 0
                    ? symbol.Size
                    : (i + 1 < symbols.Count ? symbols[i + 1].Value : (ulong)contents.Length) - symbol.Value;
                if (symbol.Value > (ulong)contents.Length || size < 16 || size > (ulong)contents.Length - symbol.Value)
                {
                    throw BpfException.Create(DiagnosticCodes.LegacyMapDefinitionTruncated,
                        $"legacy map '{symbol.Name}' ({size} bytes at offset {symbol.Value} of '{section.Name}') does not hold struct bpf_map_def's 16 leading bytes inside the section", file);
                }
                var entry = contents.Slice((int)symbol.Value, (int)size);
                var flags = entry.Length >= 20 ? BinaryPrimitives.ReadUInt32LittleEndian(entry[16..]) : 0;
                var spec = new MapSpec(
                    symbol.Name,
                    (MapType)BinaryPrimitives.ReadUInt32LittleEndian(entry),
                    BinaryPrimitives.ReadUInt32LittleEndian(entry[4..]),
                    BinaryPrimitives.ReadUInt32LittleEndian(entry[8..]),
                    BinaryPrimitives.ReadUInt32LittleEndian(entry[12..]),
                    flags)
                {
                    Section = section.Name,
                    IsReadOnlyForPrograms = (flags & ReadOnlyProgramFlag) != 0,
                };
                if (IsMapOfMaps(spec.Type) && entry.Length >= 24)
                {
                    innerIndexes.Add((_maps.Count, BinaryPrimitives.ReadUInt32LittleEndian(entry[20..])));
                }
                _declared[(section.Index, symbol.Value)] = _maps.Count;
                _maps.Add(spec);
            }
        }
        foreach (var (map, inner) in innerIndexes)
        {
            var outer = _maps[map];
            var count = _maps.Count - first;
            if (inner >= (uint)count || first + (int)inner == map || IsMapOfMaps(_maps[first + (int)inner].Type))
            {
                throw BpfException.Create(DiagnosticCodes.LegacyInnerMapInvalid,
                    $"legacy map of maps '{outer.Name}' names inner_map_idx {inner}, which is not another plain map among the object's {count} legacy maps (0-{count - 1}, by section and offset)", file);
            }
            // The outer map's values are map ids: 4 bytes, whatever the declaration said.
            _maps[map] = outer with { ValueSize = 4, InnerMap = _maps[first + (int)inner] };
        }
    }

    private static bool IsMapOfMaps(MapType type) => type is MapType.ArrayOfMaps or MapType.HashOfMaps;

    private void WarnAboutMissingInnerMaps(string? file)
    {
        foreach (var map in _maps.Where(m => IsMapOfMaps(m.Type) && m.InnerMap is null))
        {
            Warnings.Add(new BpfDiagnostic(DiagnosticCodes.MapOfMapsWithoutInnerLayout,
                $"map of maps '{map.Name}' declares no inner map ({(map.Section == BtfMapsSection ? "no __array(values, ...) member" : "no inner_map_idx")}), as libbpf would need one too: a lookup in it cannot be verified",
                DiagnosticSeverity.Warning, file));
        }
    }

    private void AddGlobalData(ElfImage elf, ElfSection section, Btf? btf, string? file)
    {
        if (section.Size > GlobalDataLimit)
        {
            throw BpfException.Create(DiagnosticCodes.GlobalDataTooLarge,
                $"global data section '{section.Name}' is {section.Size} bytes; the limit is {GlobalDataLimit}", file);
        }
        var initial = section.IsNoBits ? new byte[section.Size] : elf.Contents(section).ToArray();
        var readOnly = HasPrefix(section.Name, ".rodata");
        var valueType = btf?.FindByName(section.Name, BtfKind.DataSection)?.Id ?? 0;
        _globalData[section.Index] = _maps.Count;
        _maps.Add(new MapSpec(section.Name, MapType.Array, 4, (uint)section.Size, 1, readOnly ? ReadOnlyProgramFlag : 0)
        {
            InitialValue = initial,
            Section = section.Name,
            IsGlobalData = true,
            IsReadOnlyForPrograms = readOnly,
            ValueTypeId = valueType,
        });
    }
}
