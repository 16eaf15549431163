using System.Buffers.Binary;
using System.Globalization;
using Bpftime.Diagnostics;
using Bpftime.Elf;
using Bpftime.Engines.Aot;
using Bpftime.Engines.Native;
using Bpftime.Helpers;

namespace Bpftime.Linking.Native;

/// <summary>Offsets of everything in the linked block, then the writing of it: sections, slots, GOT, relocations.</summary>
internal sealed class AotBlockLayout
{
    private readonly AotObjectFile _file;
    private readonly Dictionary<int, SymbolBinding> _externals;
    private readonly HelperTable _helpers;
    private readonly string? _origin;
    // By section and symbol index, in arrays: a framework dictionary over these value types is compiled at
    // run time on every start of an app, since ReadyToRun code cannot hold it.
    private readonly ulong[] _sectionOffsets;
    private readonly bool[] _placed;
    private readonly List<int> _placedSections = [];
    private ulong[]? _commonOffsets;
    private readonly Dictionary<int, int> _gotSlots = [];
    private readonly List<SymbolBinding> _checkedHelpers = [];
    private readonly List<SymbolBinding> _stubbedHelpers = [];
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
    private int _returnZero;

    public AotBlockLayout(AotObjectFile file, Dictionary<int, SymbolBinding> externals, HelperTable helpers, string? origin)
    {
        _file = file;
        _externals = externals;
        _helpers = helpers;
        _origin = origin;
        _sectionOffsets = new ulong[file.Sections.Count];
        _placed = new bool[file.Sections.Count];
        var kept = new List<ElfSection>(file.Sections.Count);
        foreach (var section in file.Sections)
        {
            if (IsKept(section))
            {
                kept.Add(section);
            }
        }
        var distinct = new List<SymbolBinding>();
        foreach (var external in externals.Values)
        {
            if (!distinct.Exists(e => e.Kind == external.Kind && e.Helper?.Id == external.Helper?.Id && e.Builtin == external.Builtin && e.Address == external.Address))
            {
                distinct.Add(external);
            }
        }
        foreach (var external in distinct)
        {
            if (external.Kind == SymbolBindingKind.CheckedHelper)
            {
                _checkedHelpers.Add(external);
            }
            else if (external.Kind is SymbolBindingKind.Helper or SymbolBindingKind.Runtime or SymbolBindingKind.NativeFunction)
            {
                _stubbedHelpers.Add(external);
            }
        }
        foreach (var external in externals.Values)
        {
            external.Slot = external.Kind switch
            {
                SymbolBindingKind.CheckedHelper => _checkedHelpers.FindIndex(e => e.Helper!.Id == external.Helper!.Id),
                SymbolBindingKind.Helper => _stubbedHelpers.FindIndex(e => e.Kind == SymbolBindingKind.Helper && e.Helper!.Id == external.Helper!.Id),
                SymbolBindingKind.Runtime or SymbolBindingKind.NativeFunction => _stubbedHelpers.FindIndex(e => e.Kind == external.Kind && e.Address == external.Address),
                _ => -1,
            };
        }
        foreach (var external in externals.Values)
        {
            _withDispatcher |= external.Kind == SymbolBindingKind.Dispatcher;
        }
        _dispatchLength = _withDispatcher ? DispatchLength(helpers) : 0;
        foreach (var section in kept)
        {
            if (file.RelocationArrayFor(section) is not { } relocations)
            {
                continue;
            }
            foreach (var relocation in relocations)
            {
                if ((X64RelocationType)relocation.Type is X64RelocationType.GotPcRelative or X64RelocationType.GotPcRelativeRelaxable
                    or X64RelocationType.RexGotPcRelativeRelaxable or X64RelocationType.Got32 or X64RelocationType.Got64)
                {
                    _gotSlots.TryAdd(relocation.SymbolIndex, _gotSlots.Count);
                }
                _needsLowAddress |= (X64RelocationType)relocation.Type is X64RelocationType.Absolute32 or X64RelocationType.Absolute32Signed;
            }
        }

        // Code pages: support routines first, then the object's code, each section on a cache line.
        var support = EmitSupport(0, new AotSupportSlots(0, 0, _dispatchLength,
            new int[_checkedHelpers.Count], new int[_stubbedHelpers.Count])).Code;
        ulong cursor = (ulong)support.Length;
        foreach (var section in kept)
        {
            if (section.IsExecutable)
            {
                cursor = Place(section, cursor, CodeLine);
            }
        }
        _codeSize = RoundToPage(cursor);

        // Read-only pages: the linker's slots, the GOT, then the object's constants.
        cursor = _codeSize;
        _frameSlot = (int)cursor;
        cursor += 8;
        _firstCheckedSlot = (int)cursor;
        cursor += 8 * (ulong)_checkedHelpers.Count;
        _firstStubSlot = (int)cursor;
        cursor += 8 * (ulong)_stubbedHelpers.Count;
        cursor = Align(cursor, 16);
        _dispatchTable = (int)cursor;
        cursor += 16 * (ulong)_dispatchLength;
        _got = (int)cursor;
        cursor += 8 * (ulong)_gotSlots.Count;
        foreach (var section in kept)
        {
            if (!section.IsExecutable && !IsWritableAtRunTime(section))
            {
                cursor = Place(section, cursor);
            }
        }
        _readOnlySize = RoundToPage(cursor) - _codeSize;

        // Read-write pages: globals, zero-filled data and common symbols.
        cursor = _codeSize + _readOnlySize;
        var readWriteStart = cursor;
        foreach (var section in kept)
        {
            if (!section.IsExecutable && IsWritableAtRunTime(section))
            {
                cursor = Place(section, cursor);
            }
        }
        foreach (var symbol in file.Symbols)
        {
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
            _commonOffsets ??= new ulong[file.Symbols.Count];
            _commonOffsets[symbol.Index] = cursor;
            cursor += symbol.Size;
        }
        _readWriteSize = RoundToPage(cursor - readWriteStart);
        if (_codeSize + _readOnlySize + _readWriteSize > int.MaxValue)
        {
            throw Malformed("the sections add up to more than 2 GiB");
        }
    }

    private BpfException Malformed(string what) =>
        BpfException.Create(DiagnosticCodes.NativeObjectMalformed, $"the native object is malformed: {what}", _origin);

    private bool IsKept(ElfSection section)
    {
        if (!section.IsAllocated || AotLinker.DroppedSections.Contains(section.Name) || section.Type is AotLinker.SectionTypeUnwind or AotLinker.SectionTypeNote)
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
        _placedSections.Add(section.Index);
        return cursor + (ulong)section.Size;
    }

    /// <summary>The block offset of a section that was placed; false for one that was not (or no section at all).</summary>
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

    private static ulong RoundToPage(ulong value) => Align(value == 0 ? 1 : value, ExecutableMemory.PageSize);

    private (byte[] Code, AotSupportEntries Entries) EmitSupport(int baseOffset, AotSupportSlots slots) =>
        AotSupportCode.Emit(baseOffset, slots, _withDispatcher);

    public ExecutableMemory Allocate()
    {
        var size = (nuint)(_codeSize + _readOnlySize + _readWriteSize);
        return _needsLowAddress ? ExecutableMemory.AllocateBelow2GiB(size) : ExecutableMemory.Allocate(size);
    }

    public AotModule Write(ExecutableMemory memory, List<(string Name, ElfSymbol Symbol)> programs, List<BpfDiagnostic> errors,
        AotMetadata? metadata, List<BpfDiagnostic> warnings, AotLinkOptions options, AotCheckedRuntime checks, IReadOnlySet<string> checkedPrograms)
    {
        var block = memory.Writable;
        var baseAddress = (ulong)memory.Address;
        var (support, entries) = EmitSupport(0, new AotSupportSlots(_frameSlot, _dispatchTable, _dispatchLength,
            Slots(_firstCheckedSlot, _checkedHelpers.Count), Slots(_firstStubSlot, _stubbedHelpers.Count)));
        new ReadOnlySpan<byte>(support).CopyTo(block);
        _returnZero = entries.ReturnZero;

        BinaryPrimitives.WriteInt64LittleEndian(block[_frameSlot..], AotRunFrame.CurrentFrameEntry);
        for (var i = 0; i < _checkedHelpers.Count; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(block[(_firstCheckedSlot + (8 * i))..], _checkedHelpers[i].Helper!.NativeEntry);
        }
        for (var i = 0; i < _stubbedHelpers.Count; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(block[(_firstStubSlot + (8 * i))..], _stubbedHelpers[i].Helper?.NativeEntry ?? _stubbedHelpers[i].Address);
        }
        // The table is enumerated (in id order) only for the callx dispatcher.
        if (_dispatchLength > 0)
        {
            foreach (var helper in _helpers)
            {
                if (helper.Id >= 0 && helper.Id < _dispatchLength)
                {
                    var entry = block[(_dispatchTable + (16 * helper.Id))..];
                    BinaryPrimitives.WriteInt64LittleEndian(entry, helper.NativeEntry);
                    BinaryPrimitives.WriteInt64LittleEndian(entry[8..], helper.StopsProgramOnZero ? 1 : 0);
                }
            }
        }
        foreach (var index in _placedSections)
        {
            var section = _file.Sections[index];
            _file.Contents(section).CopyTo(block[(int)_sectionOffsets[index]..]);
        }

        ulong AddressOfExternal(SymbolBinding external, bool throughStub) => external.Kind switch
        {
            SymbolBindingKind.Helper => throughStub ? baseAddress + (ulong)entries.Stubs[external.Slot] : (ulong)external.Helper!.NativeEntry,
            SymbolBindingKind.Runtime or SymbolBindingKind.NativeFunction => throughStub ? baseAddress + (ulong)entries.Stubs[external.Slot] : (ulong)external.Address,
            SymbolBindingKind.CheckedHelper => baseAddress + (ulong)entries.CheckedHelpers[external.Slot],
            SymbolBindingKind.Dispatcher => baseAddress + (ulong)entries.Dispatcher,
            SymbolBindingKind.Builtin => baseAddress + (ulong)entries.Builtins[external.Builtin!],
            SymbolBindingKind.GotBase => baseAddress + (ulong)_got,
            SymbolBindingKind.Zero => 0,
            _ => (ulong)external.Address,
        };

        ulong? AddressOf(ElfSymbol symbol, bool throughStub, Func<string> place)
        {
            if (symbol.IsUndefined)
            {
                if (symbol.Index == 0)
                {
                    return 0;
                }
                if (_externals.TryGetValue(symbol.Index, out var external))
                {
                    return AddressOfExternal(external, throughStub);
                }
                return null; // unresolved: already reported
            }
            if (symbol.SectionIndex == ElfSymbol.SectionAbsolute)
            {
                return symbol.Value;
            }
            if (symbol.SectionIndex == ElfSymbol.SectionCommon)
            {
                return baseAddress + _commonOffsets![symbol.Index];
            }
            if (symbol.SectionIndex >= ElfSymbol.SectionAbsolute || !TryGetSectionOffset(symbol.SectionIndex, out var offset))
            {
                var sectionName = symbol.SectionIndex < _file.Sections.Count ? _file.Sections[symbol.SectionIndex].Name : symbol.SectionIndex.ToString(CultureInfo.InvariantCulture);
                errors.Add(new BpfDiagnostic(DiagnosticCodes.LinkUnsupportedSection,
                    $"{place()} refers to '{SymbolName(symbol)}' in section {sectionName}, which is not loaded", File: _origin));
                return null;
            }
            var section = _file.Sections[symbol.SectionIndex];
            if (symbol.Value > (ulong)section.Size)
            {
                errors.Add(new BpfDiagnostic(DiagnosticCodes.NativeObjectMalformed,
                    $"the native object is malformed: symbol '{SymbolName(symbol)}' lies at {symbol.Value}, past the end of {section.Name} ({section.Size} bytes)", File: _origin));
                return null;
            }
            return baseAddress + offset + symbol.Value;
        }

        foreach (var (symbolIndex, slot) in _gotSlots)
        {
            var symbol = _file.Symbols[symbolIndex];
            var target = AddressOf(symbol, throughStub: false, static () => "a GOT entry");
            BinaryPrimitives.WriteUInt64LittleEndian(block[(_got + (8 * slot))..], target ?? 0);
        }

        foreach (var sectionIndex in _placedSections)
        {
            var section = _file.Sections[sectionIndex];
            var sectionOffset = _sectionOffsets[sectionIndex];
            if (_file.RelocationArrayFor(section) is not { } relocations)
            {
                continue;
            }
            foreach (var relocation in relocations)
            {
                Apply(block, baseAddress, section, sectionOffset, relocation, AddressOf, errors);
            }
        }

        var symbols = new Dictionary<string, nint>(StringComparer.Ordinal);
        // Callback entries (local "<program>.callbackN") too: the module registers them as the only code callbacks may run.
        foreach (var symbol in _file.Symbols)
        {
            if ((symbol.IsGlobal || AotModule.IsCallbackSymbol(symbol.Name)) && !symbol.IsUndefined && symbol.Name.Length > 0
                && TryGetSectionOffset(symbol.SectionIndex, out var offset) && symbol.Value <= (ulong)_file.Sections[symbol.SectionIndex].Size)
            {
                symbols.TryAdd(symbol.Name, (nint)(baseAddress + offset + symbol.Value));
            }
        }
        var programEntries = new Dictionary<string, nint>(StringComparer.Ordinal);
        foreach (var (name, symbol) in programs)
        {
            if (TryGetSectionOffset(symbol.SectionIndex, out var offset))
            {
                programEntries[name] = (nint)(baseAddress + offset + symbol.Value);
            }
            else
            {
                errors.Add(new BpfDiagnostic(DiagnosticCodes.LinkProgramSymbolInvalid,
                    $"program '{name}': its entry symbol lies in section {_file.Sections[symbol.SectionIndex].Name}, which holds no loadable code",
                    File: _origin, Program: name));
            }
        }
        if (errors.Count > 0)
        {
            throw new BpfException(errors);
        }

        // W^X: code becomes read-execute and constants read-only; globals stay read-write, never executable.
        memory.MakeExecutable(0, (nuint)_codeSize);
        memory.MakeReadOnly((nuint)_codeSize, (nuint)_readOnlySize);
        memory.Seal();
        var layout = new AotModuleLayout(memory.Address, _codeSize, _readOnlySize, _readWriteSize, _stubbedHelpers.Count, StubbedReferences, _gotSlots.Count);
        return new AotModule(memory, metadata, warnings, programEntries, symbols, (nint)(baseAddress + (ulong)entries.Run),
            options.Helpers, options.Maps, _origin, layout, checks, checkedPrograms);
    }

    /// <summary>How many references went through a far-call stub (for the layout figures).</summary>
    public int StubbedReferences { get; private set; }

    private static bool FitsSigned32(ulong value) => unchecked((long)value) is >= int.MinValue and <= int.MaxValue;

    private string SymbolName(ElfSymbol symbol) =>
        symbol.Name.Length > 0 ? symbol.Name
        : symbol.Type == ElfSymbol.TypeSection && symbol.SectionIndex < _file.Sections.Count ? _file.Sections[symbol.SectionIndex].Name
        : $"symbol #{symbol.Index}";

    private delegate ulong? SymbolAddress(ElfSymbol symbol, bool throughStub, Func<string> place);

    private void Apply(Span<byte> block, ulong baseAddress, ElfSection section, ulong sectionOffset, ElfRelocation relocation,
        SymbolAddress addressOf, List<BpfDiagnostic> errors)
    {
        var type = (X64RelocationType)relocation.Type;
        if (type == X64RelocationType.None)
        {
            return;
        }
        var symbol = _file.Symbols[relocation.SymbolIndex];
        // Described only for a message: formatting it for every relocation cost more than applying them.
        string Place() => $"relocation {type} at {section.Name}+0x{relocation.Offset:x}";
        var width = type switch
        {
            X64RelocationType.Absolute64 or X64RelocationType.PcRelative64 or X64RelocationType.GotOffset64
                or X64RelocationType.Got64 or X64RelocationType.GotPc64 => 8,
            X64RelocationType.PcRelative32 or X64RelocationType.Plt32 or X64RelocationType.Absolute32
                or X64RelocationType.Absolute32Signed or X64RelocationType.GotPcRelative or X64RelocationType.GotPcRelativeRelaxable
                or X64RelocationType.RexGotPcRelativeRelaxable or X64RelocationType.Got32 or X64RelocationType.GotPc32 => 4,
            _ => 0,
        };
        if (width == 0)
        {
            errors.Add(new BpfDiagnostic(DiagnosticCodes.LinkUnsupportedRelocation,
                $"relocation type {(uint)type} at {section.Name}+0x{relocation.Offset:x} (symbol '{SymbolName(symbol)}') is not supported by the AOT linker",
                File: _origin));
            return;
        }
        if (relocation.Offset + (ulong)width > (ulong)section.Size)
        {
            errors.Add(new BpfDiagnostic(DiagnosticCodes.NativeObjectMalformed,
                $"the native object is malformed: {Place()} writes past the end of the section ({section.Size} bytes)", File: _origin));
            return;
        }
        if (section.IsNoBits)
        {
            errors.Add(new BpfDiagnostic(DiagnosticCodes.NativeObjectMalformed,
                $"the native object is malformed: {Place()} patches a zero-filled section", File: _origin));
            return;
        }
        var field = block.Slice((int)(sectionOffset + relocation.Offset), width);
        var p = baseAddress + sectionOffset + relocation.Offset;
        var a = unchecked((ulong)relocation.Addend);
        var isPcRelative = type is X64RelocationType.PcRelative32 or X64RelocationType.Plt32;
        var gotBase = baseAddress + (ulong)_got;
        ulong GotSlot() => gotBase + (8 * (ulong)_gotSlots[relocation.SymbolIndex]);

        ulong value;
        switch (type)
        {
            case X64RelocationType.GotPcRelative or X64RelocationType.GotPcRelativeRelaxable or X64RelocationType.RexGotPcRelativeRelaxable:
                value = unchecked(GotSlot() + a - p);
                break;
            case X64RelocationType.Got32 or X64RelocationType.Got64:
                value = unchecked(GotSlot() - gotBase + a);
                break;
            case X64RelocationType.GotPc32 or X64RelocationType.GotPc64:
                value = unchecked(gotBase + a - p);
                break;
            default:
                {
                    var s = addressOf(symbol, throughStub: false, Place);
                    if (s is null)
                    {
                        return;
                    }
                    value = type switch
                    {
                        X64RelocationType.Absolute64 or X64RelocationType.Absolute32 or X64RelocationType.Absolute32Signed => unchecked(s.Value + a),
                        X64RelocationType.GotOffset64 => unchecked(s.Value + a - gotBase),
                        _ => unchecked(s.Value + a - p),
                    };
                    // A call or PC-relative reference to a helper beyond ±2 GiB goes through its stub in the block;
                    // a guarded call to an unresolved weak function lands on a routine that returns 0.
                    if (isPcRelative && relocation.SymbolIndex != 0 && _externals.TryGetValue(relocation.SymbolIndex, out var far))
                    {
                        if (far.Kind is SymbolBindingKind.Helper or SymbolBindingKind.Runtime or SymbolBindingKind.NativeFunction && !FitsSigned32(value))
                        {
                            value = unchecked(addressOf(symbol, throughStub: true, Place)!.Value + a - p);
                            StubbedReferences++;
                        }
                        else if (far.Kind == SymbolBindingKind.Zero)
                        {
                            value = unchecked(baseAddress + (ulong)_returnZero + a - p);
                        }
                    }
                    break;
                }
        }

        if (width == 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(field, value);
            return;
        }
        var fits = type == X64RelocationType.Absolute32
            ? value <= uint.MaxValue
            : FitsSigned32(value);
        if (!fits)
        {
            var target = relocation.SymbolIndex != 0 && _externals.TryGetValue(relocation.SymbolIndex, out var external)
                ? $"{external.Description} ({SymbolName(symbol)})" : $"'{SymbolName(symbol)}'";
            var advice = type is X64RelocationType.Absolute32 or X64RelocationType.Absolute32Signed
                ? "compile with -fPIC (clang's default here) or -mcmodel=large instead of -fno-pic"
                : "the target lies outside ±2 GiB of the code; reference it through the GOT (-fPIC) or with -mcmodel=large";
            errors.Add(new BpfDiagnostic(DiagnosticCodes.LinkRelocationOutOfRange,
                $"{Place()} cannot reach {target} (value 0x{value:x} does not fit 32 bits); {advice}", File: _origin));
            return;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(field, unchecked((uint)value));
    }
}
