using System.Globalization;
using System.Runtime.CompilerServices;
using Bpftime.Diagnostics;
using Bpftime.Elf;
using Bpftime.Engines.Aot;
using Bpftime.Engines.Native;
using Bpftime.Helpers;

namespace Bpftime.Linking.Native;

/// <summary>
/// Offsets of everything in the linked block, then the writing of it: sections, slots, GOT, relocations.
/// It runs at every embedded load, so what it tracks is in arrays indexed by section, symbol or slot
/// (grown by hand where the number is not known up front), and it uses no lambdas or local functions
/// that capture: each framework collection, delegate or closure is a set of types loaded at start-up.
/// </summary>
internal sealed class AotBlockLayout
{
    private readonly AotObjectFile _file;
    // By symbol index; null where a symbol is defined or was refused.
    private readonly SymbolBinding?[] _externals;
    private readonly HelperTable _helpers;
    private readonly string? _origin;
    private readonly ulong[] _sectionOffsets;
    private readonly bool[] _placed;
    private readonly int[] _placedSections;
    private int _placedCount;
    private ulong[]? _commonOffsets;
    // GOT slots: by symbol index the slot plus one (0 for none), and by slot the symbol, in the order first referenced.
    private int[]? _gotSlotOf;
    private int[] _gotSymbols = null!;
    private int _gotCount;
    private readonly SymbolBinding[] _checkedHelpers;
    private readonly int _checkedCount;
    private readonly SymbolBinding[] _stubbedHelpers;
    private readonly int _stubbedCount;
    private readonly bool _needsLowAddress;
    private readonly bool _withDispatcher;
    private readonly int _dispatchLength;
    private readonly ulong _codeSize;
    private readonly ulong _readOnlySize;
    private readonly ulong _readWriteSize;
    private readonly int _frameSlot;
    private readonly int _firstCheckedSlot;
    private readonly int _firstStubSlot;
    private readonly int _dispatchTable;
    private readonly int _got;
    // Set by Write for the relocations it applies.
    private ulong _baseAddress;
    private AotSupportEntries _entries = null!;
    private List<BpfDiagnostic>? _errors;

    public AotBlockLayout(AotObjectFile file, SymbolBinding?[] externals, HelperTable helpers, string? origin)
    {
        _file = file;
        _externals = externals;
        _helpers = helpers;
        _origin = origin;
        var sections = file.SectionArray;
        _sectionOffsets = new ulong[sections.Length];
        _placed = new bool[sections.Length];
        _placedSections = new int[sections.Length];
        var kept = new ElfSection[sections.Length];
        var keptCount = 0;
        for (var i = 0; i < sections.Length; i++)
        {
            if (IsKept(sections[i]))
            {
                kept[keptCount++] = sections[i];
            }
        }

        // One wrapper or stub per distinct target, however many symbols name it.
        _checkedHelpers = new SymbolBinding[externals.Length];
        _stubbedHelpers = new SymbolBinding[externals.Length];
        for (var i = 0; i < externals.Length; i++)
        {
            var external = externals[i];
            if (external is null || IsBoundBefore(externals, i))
            {
                continue;
            }
            if (external.Kind == SymbolBindingKind.CheckedHelper)
            {
                _checkedHelpers[_checkedCount++] = external;
            }
            else if (external.Kind is SymbolBindingKind.Helper or SymbolBindingKind.Runtime or SymbolBindingKind.NativeFunction)
            {
                _stubbedHelpers[_stubbedCount++] = external;
            }
        }
        foreach (var external in externals)
        {
            if (external is null)
            {
                continue;
            }
            external.Slot = external.Kind switch
            {
                SymbolBindingKind.CheckedHelper => CheckedSlotOf(external),
                SymbolBindingKind.Helper or SymbolBindingKind.Runtime or SymbolBindingKind.NativeFunction => StubSlotOf(external),
                _ => -1,
            };
            _withDispatcher |= external.Kind == SymbolBindingKind.Dispatcher;
        }
        _dispatchLength = _withDispatcher ? DispatchLength(helpers) : 0;
        for (var k = 0; k < keptCount; k++)
        {
            if (file.RelocationArrayFor(kept[k]) is not { } relocations)
            {
                continue;
            }
            foreach (var relocation in relocations)
            {
                if ((X64RelocationType)relocation.Type is X64RelocationType.GotPcRelative or X64RelocationType.GotPcRelativeRelaxable
                    or X64RelocationType.RexGotPcRelativeRelaxable or X64RelocationType.Got32 or X64RelocationType.Got64)
                {
                    AddGotSlot(relocation.SymbolIndex);
                }
                _needsLowAddress |= (X64RelocationType)relocation.Type is X64RelocationType.Absolute32 or X64RelocationType.Absolute32Signed;
            }
        }

        // Code pages: support routines first, then the object's code, each section on a cache line.
        AotSupportCode.Emit(0, new AotSupportSlots(0, 0, _dispatchLength, new int[_checkedCount], new int[_stubbedCount]), _withDispatcher, out var support);
        ulong cursor = (ulong)support.Length;
        for (var k = 0; k < keptCount; k++)
        {
            if (kept[k].IsExecutable)
            {
                cursor = Place(kept[k], cursor, CodeLine);
            }
        }
        _codeSize = RoundToPage(cursor);

        // Read-only pages: the linker's slots, the GOT, then the object's constants.
        cursor = _codeSize;
        _frameSlot = (int)cursor;
        cursor += 8;
        _firstCheckedSlot = (int)cursor;
        cursor += 8 * (ulong)_checkedCount;
        _firstStubSlot = (int)cursor;
        cursor += 8 * (ulong)_stubbedCount;
        cursor = Align(cursor, 16);
        _dispatchTable = (int)cursor;
        cursor += 16 * (ulong)_dispatchLength;
        _got = (int)cursor;
        cursor += 8 * (ulong)_gotCount;
        for (var k = 0; k < keptCount; k++)
        {
            if (!kept[k].IsExecutable && !IsWritableAtRunTime(kept[k]))
            {
                cursor = Place(kept[k], cursor);
            }
        }
        _readOnlySize = RoundToPage(cursor) - _codeSize;

        // Read-write pages: globals, zero-filled data and common symbols.
        cursor = _codeSize + _readOnlySize;
        var readWriteStart = cursor;
        for (var k = 0; k < keptCount; k++)
        {
            if (!kept[k].IsExecutable && IsWritableAtRunTime(kept[k]))
            {
                cursor = Place(kept[k], cursor);
            }
        }
        var symbols = file.SymbolArray;
        for (var i = 0; i < symbols.Length; i++)
        {
            var symbol = symbols[i];
            if (symbol.SectionIndex != ElfSymbol.SectionCommon)
            {
                continue;
            }
            var alignment = symbol.Value is > 0 and <= 4096 && (symbol.Value & (symbol.Value - 1)) == 0 ? symbol.Value : 16;
            if (symbol.Size > int.MaxValue)
            {
                throw Malformed($"common symbol '{symbol.Name}' claims {symbol.Size} bytes");
            }
            cursor = Align(cursor, alignment);
            _commonOffsets ??= new ulong[symbols.Length];
            _commonOffsets[symbol.Index] = cursor;
            cursor += symbol.Size;
        }
        _readWriteSize = RoundToPage(cursor - readWriteStart);
        if (_codeSize + _readOnlySize + _readWriteSize > int.MaxValue)
        {
            throw Malformed("the sections add up to more than 2 GiB");
        }
    }

    /// <summary>Whether a binding before <paramref name="index"/> has the same target (kind, helper, builtin and address).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsBoundBefore(SymbolBinding?[] externals, int index)
    {
        var external = externals[index]!;
        for (var i = 0; i < index; i++)
        {
            var other = externals[i];
            if (other is not null && other.Kind == external.Kind && other.Helper?.Id == external.Helper?.Id
                && other.Builtin == external.Builtin && other.Address == external.Address)
            {
                return true;
            }
        }
        return false;
    }

    private int CheckedSlotOf(SymbolBinding external)
    {
        for (var i = 0; i < _checkedCount; i++)
        {
            if (_checkedHelpers[i].Helper!.Id == external.Helper!.Id)
            {
                return i;
            }
        }
        return -1;
    }

    private int StubSlotOf(SymbolBinding external)
    {
        for (var i = 0; i < _stubbedCount; i++)
        {
            var stubbed = _stubbedHelpers[i];
            if (external.Kind == SymbolBindingKind.Helper
                ? stubbed.Kind == SymbolBindingKind.Helper && stubbed.Helper!.Id == external.Helper!.Id
                : stubbed.Kind == external.Kind && stubbed.Address == external.Address)
            {
                return i;
            }
        }
        return -1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AddGotSlot(int symbolIndex)
    {
        if (_gotSlotOf is null)
        {
            _gotSlotOf = new int[_file.SymbolArray.Length];
            _gotSymbols = new int[8];
        }
        if (_gotSlotOf[symbolIndex] != 0)
        {
            return;
        }
        if (_gotCount == _gotSymbols.Length)
        {
            var grown = new int[_gotCount * 2];
            _gotSymbols.CopyTo(grown, 0);
            _gotSymbols = grown;
        }
        _gotSymbols[_gotCount++] = symbolIndex;
        _gotSlotOf[symbolIndex] = _gotCount;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private SymbolBinding? ExternalFor(int symbolIndex) =>
        symbolIndex >= 0 && symbolIndex < _externals.Length ? _externals[symbolIndex] : null;

    private BpfException Malformed(string what) =>
        BpfException.Create(DiagnosticCodes.NativeObjectMalformed, $"the native object is malformed: {what}", _origin);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsKept(ElfSection section)
    {
        if (!section.IsAllocated || AotLinker.IsDroppedSection(section.Name) || section.Type is AotLinker.SectionTypeUnwind or AotLinker.SectionTypeNote)
        {
            return false;
        }
        if ((section.Flags & ElfSection.FlagThreadLocal) != 0)
        {
            throw BpfException.Create(DiagnosticCodes.LinkUnsupportedSection,
                $"section {section.Name} holds thread-local data, which programs cannot have", _origin);
        }
        if (section.Type is ElfSection.TypeInitArray or ElfSection.TypeFiniArray or ElfSection.TypePreinitArray)
        {
            throw BpfException.Create(DiagnosticCodes.LinkUnsupportedSection,
                $"section {section.Name} lists constructors or destructors, which the linker does not run", _origin);
        }
        if (section.IsExecutable && section.IsWritable)
        {
            throw BpfException.Create(DiagnosticCodes.LinkUnsupportedSection,
                $"section {section.Name} is both writable and executable, which W^X memory cannot hold", _origin);
        }
        if (section.Type is not (ElfSection.TypeProgBits or ElfSection.TypeNoBits))
        {
            return false;
        }
        return true;
    }

    /// <summary>
    /// Writable sections stay writable, except relocated constants (.data.rel.ro), which are
    /// writable in the object only so that a loader can relocate them: here they become read-only.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsWritableAtRunTime(ElfSection section) =>
        section.IsWritable && !section.Name.StartsWith(".data.rel.ro", StringComparison.Ordinal);

    /// <summary>
    /// The boundary every code section starts on at least: a cache line. A compiler lays out loops
    /// for its function alignment (16 on x86-64), so where a loop falls across 32- and 64-byte fetch
    /// and decode windows depends on where the function lands within its line; on a line start the
    /// code sits there as it does at the start of a page, where the LLVM JIT puts it. At a 16-byte
    /// offset the same bytes of the strcmp benchmark ran about 1.3x to 2x slower.
    /// </summary>
    internal const ulong CodeLine = 64;

    private ulong Place(ElfSection section, ulong cursor, ulong minimumAlignment = 1)
    {
        cursor = Align(cursor, Math.Max(section.Alignment, minimumAlignment));
        _sectionOffsets[section.Index] = cursor;
        _placed[section.Index] = true;
        _placedSections[_placedCount++] = section.Index;
        return cursor + (ulong)section.Size;
    }

    /// <summary>The block offset of a section that was placed; false for one that was not (or no section at all).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryGetSectionOffset(int index, out ulong offset)
    {
        offset = 0;
        if (index < 0 || index >= _placed.Length || !_placed[index])
        {
            return false;
        }
        offset = _sectionOffsets[index];
        return true;
    }

    /// <summary>The callx dispatcher's table covers helper ids 0 to the largest the table holds.</summary>
    private static int DispatchLength(HelperTable helpers)
    {
        var largest = -1;
        foreach (var helper in helpers)
        {
            largest = Math.Max(largest, helper.Id);
        }
        return Math.Min(AotLinker.MaxDispatchId, largest + 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int[] Slots(int first, int count)
    {
        var slots = new int[count];
        for (var i = 0; i < count; i++)
        {
            slots[i] = first + (8 * i);
        }
        return slots;
    }

    private static ulong Align(ulong value, ulong alignment) => (value + alignment - 1) / alignment * alignment;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong RoundToPage(ulong value) => Align(value == 0 ? 1 : value, ExecutableMemory.PageSize);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ExecutableMemory Allocate()
    {
        var size = (nuint)(_codeSize + _readOnlySize + _readWriteSize);
        return _needsLowAddress ? ExecutableMemory.AllocateBelow2GiB(size) : ExecutableMemory.Allocate(size);
    }

    public AotModule Write(ExecutableMemory memory, string[] programNames, ElfSymbol[] programSymbols, bool[] checkedPrograms,
        AotMetadata? metadata, IReadOnlyList<BpfDiagnostic> warnings, AotLinkOptions options, AotCheckedRuntime checks)
    {
        var block = memory.Writable;
        _baseAddress = (ulong)memory.Address;
        _entries = AotSupportCode.Emit(0, new AotSupportSlots(_frameSlot, _dispatchTable, _dispatchLength,
            Slots(_firstCheckedSlot, _checkedCount), Slots(_firstStubSlot, _stubbedCount)), _withDispatcher, out var support);
        new ReadOnlySpan<byte>(support).CopyTo(block);

        LittleEndianBytes.WriteInt64(block, _frameSlot, AotRunFrame.CurrentFrameEntry);
        for (var i = 0; i < _checkedCount; i++)
        {
            LittleEndianBytes.WriteInt64(block, _firstCheckedSlot + (8 * i), _checkedHelpers[i].Helper!.NativeEntry);
        }
        for (var i = 0; i < _stubbedCount; i++)
        {
            LittleEndianBytes.WriteInt64(block, _firstStubSlot + (8 * i), _stubbedHelpers[i].Helper?.NativeEntry ?? _stubbedHelpers[i].Address);
        }
        // The table is enumerated (in id order) only for the callx dispatcher.
        if (_dispatchLength > 0)
        {
            WriteDispatchTable(block);
        }
        for (var p = 0; p < _placedCount; p++)
        {
            var index = _placedSections[p];
            _file.Contents(_file.SectionArray[index]).CopyTo(block[(int)_sectionOffsets[index]..]);
        }

        for (var slot = 0; slot < _gotCount; slot++)
        {
            var symbol = _file.SymbolArray[_gotSymbols[slot]];
            _ = TryAddressOf(symbol, throughStub: false, null, default, out var target);
            LittleEndianBytes.WriteUInt64(block, _got + (8 * slot), target);
        }

        for (var p = 0; p < _placedCount; p++)
        {
            var sectionIndex = _placedSections[p];
            var section = _file.SectionArray[sectionIndex];
            var sectionOffset = _sectionOffsets[sectionIndex];
            if (_file.RelocationArrayFor(section) is not { } relocations)
            {
                continue;
            }
            foreach (var relocation in relocations)
            {
                Apply(block, section, sectionOffset, relocation);
            }
        }

        LinkedSymbols(out var symbolNames, out var symbolAddresses);
        // Program names are unique with metadata; without it a repeated global name keeps its first place and its last entry.
        var names = new string[programNames.Length];
        var entries = new nint[programNames.Length];
        var isChecked = new bool[programNames.Length];
        var count = 0;
        for (var i = 0; i < programNames.Length; i++)
        {
            var name = programNames[i];
            var symbol = programSymbols[i];
            if (!TryGetSectionOffset(symbol.SectionIndex, out var offset))
            {
                NotLoadable(name, symbol);
                continue;
            }
            var at = IndexOf(names, count, name);
            if (at < 0)
            {
                at = count++;
                names[at] = name;
                isChecked[at] = checkedPrograms[i];
            }
            entries[at] = (nint)(_baseAddress + offset + symbol.Value);
        }
        if (_errors is not null)
        {
            throw new BpfException(_errors);
        }
        if (count != names.Length)
        {
            names = Trimmed(names, count);
            entries = Trimmed(entries, count);
            isChecked = Trimmed(isChecked, count);
        }

        // W^X: code becomes read-execute and constants read-only; globals stay read-write, never executable.
        memory.MakeExecutable(0, (nuint)_codeSize);
        memory.MakeReadOnly((nuint)_codeSize, (nuint)_readOnlySize);
        memory.Seal();
        var layout = new AotModuleLayout(memory.Address, _codeSize, _readOnlySize, _readWriteSize, _stubbedCount, StubbedReferences, _gotCount);
        return new AotModule(memory, metadata, warnings, names, entries, isChecked, symbolNames, symbolAddresses,
            (nint)(_baseAddress + (ulong)_entries.Run), options.Helpers, options.Maps, _origin, layout, checks);
    }

    private void WriteDispatchTable(Span<byte> block)
    {
        foreach (var helper in _helpers)
        {
            if (helper.Id >= 0 && helper.Id < _dispatchLength)
            {
                var entry = _dispatchTable + (16 * helper.Id);
                LittleEndianBytes.WriteInt64(block, entry, helper.NativeEntry);
                LittleEndianBytes.WriteInt64(block, entry + 8, helper.StopsProgramOnZero ? 1 : 0);
            }
        }
    }

    /// <summary>
    /// The defined global symbols, and the callback entries (local "&lt;program&gt;.callbackN"), which the
    /// module registers as the only code callbacks may run: names and addresses side by side, in the
    /// symbol table's order (a repeated name is looked up as its first).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void LinkedSymbols(out string[] names, out nint[] addresses)
    {
        var symbols = _file.SymbolArray;
        names = new string[symbols.Length];
        addresses = new nint[symbols.Length];
        var count = 0;
        for (var i = 0; i < symbols.Length; i++)
        {
            var symbol = symbols[i];
            if ((symbol.IsGlobal || AotModule.IsCallbackSymbol(symbol.Name)) && !symbol.IsUndefined && symbol.Name.Length > 0
                && TryGetSectionOffset(symbol.SectionIndex, out var offset) && symbol.Value <= (ulong)_file.SectionArray[symbol.SectionIndex].Size)
            {
                names[count] = symbol.Name;
                addresses[count++] = (nint)(_baseAddress + offset + symbol.Value);
            }
        }
        if (count != names.Length)
        {
            names = Trimmed(names, count);
            addresses = Trimmed(addresses, count);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int IndexOf(string[] names, int count, string name)
    {
        for (var i = 0; i < count; i++)
        {
            if (names[i] == name)
            {
                return i;
            }
        }
        return -1;
    }

    private static string[] Trimmed(string[] values, int count)
    {
        var trimmed = new string[count];
        Array.Copy(values, trimmed, count);
        return trimmed;
    }

    private static nint[] Trimmed(nint[] values, int count)
    {
        var trimmed = new nint[count];
        Array.Copy(values, trimmed, count);
        return trimmed;
    }

    private static bool[] Trimmed(bool[] values, int count)
    {
        var trimmed = new bool[count];
        Array.Copy(values, trimmed, count);
        return trimmed;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void NotLoadable(string name, ElfSymbol symbol) =>
        Error(new BpfDiagnostic(DiagnosticCodes.LinkProgramSymbolInvalid,
            $"program '{name}': its entry symbol lies in section {_file.SectionArray[symbol.SectionIndex].Name}, which holds no loadable code",
            File: _origin, Program: name));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Error(BpfDiagnostic diagnostic) => (_errors ??= []).Add(diagnostic);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong AddressOfExternal(SymbolBinding external, bool throughStub) => external.Kind switch
    {
        SymbolBindingKind.Helper => throughStub ? _baseAddress + (ulong)_entries.Stub(external.Slot) : (ulong)external.Helper!.NativeEntry,
        SymbolBindingKind.Runtime or SymbolBindingKind.NativeFunction => throughStub ? _baseAddress + (ulong)_entries.Stub(external.Slot) : (ulong)external.Address,
        SymbolBindingKind.CheckedHelper => _baseAddress + (ulong)_entries.CheckedHelper(external.Slot),
        SymbolBindingKind.Dispatcher => _baseAddress + (ulong)_entries.Dispatcher,
        SymbolBindingKind.Builtin => _baseAddress + (ulong)_entries.Builtin(external.Builtin!),
        SymbolBindingKind.GotBase => _baseAddress + (ulong)_got,
        SymbolBindingKind.Zero => 0,
        _ => (ulong)external.Address,
    };

    /// <summary>
    /// The address <paramref name="symbol"/> is linked at; false (and 0) when it has none (reported). What
    /// refers to it, for messages: the relocation at <paramref name="relocation"/> of
    /// <paramref name="section"/>, or a GOT entry when <paramref name="section"/> is null.
    /// </summary>
    private bool TryAddressOf(ElfSymbol symbol, bool throughStub, ElfSection? section, in ElfRelocation relocation, out ulong address)
    {
        address = 0;
        if (symbol.IsUndefined)
        {
            if (symbol.Index == 0)
            {
                return true;
            }
            if (ExternalFor(symbol.Index) is { } external)
            {
                address = AddressOfExternal(external, throughStub);
                return true;
            }
            return false; // unresolved: already reported
        }
        if (symbol.SectionIndex == ElfSymbol.SectionAbsolute)
        {
            address = symbol.Value;
            return true;
        }
        if (symbol.SectionIndex == ElfSymbol.SectionCommon)
        {
            address = _baseAddress + _commonOffsets![symbol.Index];
            return true;
        }
        if (symbol.SectionIndex >= ElfSymbol.SectionAbsolute || !TryGetSectionOffset(symbol.SectionIndex, out var offset))
        {
            NotLoaded(symbol, section, relocation);
            return false;
        }
        var target = _file.SectionArray[symbol.SectionIndex];
        if (symbol.Value > (ulong)target.Size)
        {
            PastSection(symbol, target);
            return false;
        }
        address = _baseAddress + offset + symbol.Value;
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void NotLoaded(ElfSymbol symbol, ElfSection? section, in ElfRelocation relocation)
    {
        var sectionName = symbol.SectionIndex < _file.SectionArray.Length ? _file.SectionArray[symbol.SectionIndex].Name : symbol.SectionIndex.ToString(CultureInfo.InvariantCulture);
        Error(new BpfDiagnostic(DiagnosticCodes.LinkUnsupportedSection,
            $"{(section is null ? "a GOT entry" : Place(section, relocation))} refers to '{SymbolName(symbol)}' in section {sectionName}, which is not loaded", File: _origin));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void PastSection(ElfSymbol symbol, ElfSection section) =>
        Error(new BpfDiagnostic(DiagnosticCodes.NativeObjectMalformed,
            $"the native object is malformed: symbol '{SymbolName(symbol)}' lies at {symbol.Value}, past the end of {section.Name} ({section.Size} bytes)", File: _origin));

    /// <summary>How many references went through a far-call stub (for the layout figures).</summary>
    public int StubbedReferences { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool FitsSigned32(ulong value) => unchecked((long)value) is >= int.MinValue and <= int.MaxValue;

    private string SymbolName(ElfSymbol symbol) =>
        symbol.Name.Length > 0 ? symbol.Name
        : symbol.Type == ElfSymbol.TypeSection && symbol.SectionIndex < _file.SectionArray.Length ? _file.SectionArray[symbol.SectionIndex].Name
        : $"symbol #{symbol.Index}";

    /// <summary>A relocation, described for a message only: formatting it for every relocation cost more than applying them.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string Place(ElfSection section, in ElfRelocation relocation) =>
        $"relocation {(X64RelocationType)relocation.Type} at {section.Name}+0x{relocation.Offset:x}";

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int FieldWidth(X64RelocationType type) => type switch
    {
        X64RelocationType.Absolute64 or X64RelocationType.PcRelative64 or X64RelocationType.GotOffset64
            or X64RelocationType.Got64 or X64RelocationType.GotPc64 => 8,
        X64RelocationType.PcRelative32 or X64RelocationType.Plt32 or X64RelocationType.Absolute32
            or X64RelocationType.Absolute32Signed or X64RelocationType.GotPcRelative or X64RelocationType.GotPcRelativeRelaxable
            or X64RelocationType.RexGotPcRelativeRelaxable or X64RelocationType.Got32 or X64RelocationType.GotPc32 => 4,
        _ => 0,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Apply(Span<byte> block, ElfSection section, ulong sectionOffset, in ElfRelocation relocation)
    {
        var type = (X64RelocationType)relocation.Type;
        if (type == X64RelocationType.None)
        {
            return;
        }
        var symbol = _file.SymbolArray[relocation.SymbolIndex];
        var width = FieldWidth(type);
        if (width == 0 || relocation.Offset + (ulong)width > (ulong)section.Size || section.IsNoBits)
        {
            RefuseField(section, relocation, symbol, width);
            return;
        }
        var field = (int)(sectionOffset + relocation.Offset);
        var baseAddress = _baseAddress;
        var p = baseAddress + sectionOffset + relocation.Offset;
        var a = unchecked((ulong)relocation.Addend);
        var isPcRelative = type is X64RelocationType.PcRelative32 or X64RelocationType.Plt32;
        var gotBase = baseAddress + (ulong)_got;

        ulong value;
        switch (type)
        {
            case X64RelocationType.GotPcRelative or X64RelocationType.GotPcRelativeRelaxable or X64RelocationType.RexGotPcRelativeRelaxable:
                value = unchecked(GotSlot(relocation.SymbolIndex) + a - p);
                break;
            case X64RelocationType.Got32 or X64RelocationType.Got64:
                value = unchecked(GotSlot(relocation.SymbolIndex) - gotBase + a);
                break;
            case X64RelocationType.GotPc32 or X64RelocationType.GotPc64:
                value = unchecked(gotBase + a - p);
                break;
            default:
                {
                    if (!TryAddressOf(symbol, throughStub: false, section, relocation, out var s))
                    {
                        return;
                    }
                    value = type switch
                    {
                        X64RelocationType.Absolute64 or X64RelocationType.Absolute32 or X64RelocationType.Absolute32Signed => unchecked(s + a),
                        X64RelocationType.GotOffset64 => unchecked(s + a - gotBase),
                        _ => unchecked(s + a - p),
                    };
                    // A call or PC-relative reference to a helper beyond ±2 GiB goes through its stub in the block;
                    // a guarded call to an unresolved weak function lands on a routine that returns 0.
                    if (isPcRelative && relocation.SymbolIndex != 0 && ExternalFor(relocation.SymbolIndex) is { } far)
                    {
                        if (far.Kind is SymbolBindingKind.Helper or SymbolBindingKind.Runtime or SymbolBindingKind.NativeFunction && !FitsSigned32(value))
                        {
                            _ = TryAddressOf(symbol, throughStub: true, section, relocation, out var stub);
                            value = unchecked(stub + a - p);
                            StubbedReferences++;
                        }
                        else if (far.Kind == SymbolBindingKind.Zero)
                        {
                            value = unchecked(baseAddress + (ulong)_entries.ReturnZero + a - p);
                        }
                    }
                    break;
                }
        }

        if (width == 8)
        {
            LittleEndianBytes.WriteUInt64(block, field, value);
            return;
        }
        var fits = type == X64RelocationType.Absolute32
            ? value <= uint.MaxValue
            : FitsSigned32(value);
        if (!fits)
        {
            OutOfRange(section, relocation, symbol, value);
            return;
        }
        LittleEndianBytes.WriteUInt32(block, field, unchecked((uint)value));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong GotSlot(int symbolIndex) => _baseAddress + (ulong)_got + (8 * (ulong)(_gotSlotOf![symbolIndex] - 1));

    /// <summary>A relocation of a kind the linker does not apply, or whose field lies outside the section's bytes.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RefuseField(ElfSection section, in ElfRelocation relocation, ElfSymbol symbol, int width)
    {
        if (width == 0)
        {
            Error(new BpfDiagnostic(DiagnosticCodes.LinkUnsupportedRelocation,
                $"relocation type {relocation.Type} at {section.Name}+0x{relocation.Offset:x} (symbol '{SymbolName(symbol)}') is not supported by the AOT linker",
                File: _origin));
        }
        else if (relocation.Offset + (ulong)width > (ulong)section.Size)
        {
            Error(new BpfDiagnostic(DiagnosticCodes.NativeObjectMalformed,
                $"the native object is malformed: {Place(section, relocation)} writes past the end of the section ({section.Size} bytes)", File: _origin));
        }
        else
        {
            Error(new BpfDiagnostic(DiagnosticCodes.NativeObjectMalformed,
                $"the native object is malformed: {Place(section, relocation)} patches a zero-filled section", File: _origin));
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void OutOfRange(ElfSection section, in ElfRelocation relocation, ElfSymbol symbol, ulong value)
    {
        var type = (X64RelocationType)relocation.Type;
        var target = relocation.SymbolIndex != 0 && ExternalFor(relocation.SymbolIndex) is { } external
            ? $"{external.Description} ({SymbolName(symbol)})" : $"'{SymbolName(symbol)}'";
        var advice = type is X64RelocationType.Absolute32 or X64RelocationType.Absolute32Signed
            ? "compile with -fPIC (clang's default here) or -mcmodel=large instead of -fno-pic"
            : "the target lies outside ±2 GiB of the code; reference it through the GOT (-fPIC) or with -mcmodel=large";
        Error(new BpfDiagnostic(DiagnosticCodes.LinkRelocationOutOfRange,
            $"{Place(section, relocation)} cannot reach {target} (value 0x{value:x} does not fit 32 bits); {advice}", File: _origin));
    }
}
