using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using Bpftime.Diagnostics;
using Bpftime.Engines.Native;
using Bpftime.Helpers;
using Bpftime.Maps;

namespace Bpftime.Engines.Aot;

/// <summary>
/// The runtime's linker for AOT-compiled programs: takes an x86-64 ELF relocatable object, checks it
/// against the active helper set and the runtime's maps, lays its sections out in one block of
/// executable memory (code pages read-execute, constants read-only, globals read-write), binds
/// helpers, maps and builtins, applies the relocations and hands back an <see cref="AotModule"/>.
/// No LLVM and no system linker are involved. Every refusal is a <see cref="BpfException"/> with a
/// BPF31xx code naming the symbol, program or map at fault.
/// </summary>
public static class AotLinker
{
    /// <summary>Most stack bytes one program frame may use, as for eBPF.</summary>
    public const int MaxStackSize = 512;

    /// <summary>Deepest chain of local calls, as for eBPF.</summary>
    public const int MaxCallDepth = 8;

    /// <summary>Ids the callx dispatcher's table covers; larger ids are reported unknown at run time.</summary>
    public const int MaxDispatchId = 1 << 16;

    /// <summary>Sections that carry nothing a program needs at run time (unwind tables) and are left out.</summary>
    private static readonly HashSet<string> DroppedSections = new(StringComparer.Ordinal) { ".eh_frame", ".eh_frame_hdr", ".gcc_except_table" };

    private const uint SectionTypeUnwind = 0x70000001;
    private const uint SectionTypeNote = 7;

    /// <summary>Links <paramref name="objectBytes"/>; throws <see cref="BpfException"/> (BPF31xx) when it cannot.</summary>
    public static AotModule Link(ReadOnlySpan<byte> objectBytes, AotLinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Helpers);
        try
        {
            CheckHost(options.Origin);
            var file = AotObjectFile.Read(objectBytes, options.Origin);
            return new LinkJob(file, options).Run();
        }
        catch (BpfException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A defect of the linker, not of the object: still a BpfException so callers see one error type.
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.LinkInternalFailure,
                $"the AOT linker failed unexpectedly ({e.GetType().Name}: {e.Message})", File: options.Origin), e);
        }
    }

    /// <summary>Reads only the metadata (to create the maps an object expects before linking it); null when it has none.</summary>
    public static AotMetadata? ReadMetadata(ReadOnlySpan<byte> objectBytes, string? origin = null)
    {
        try
        {
            return AotObjectFile.Read(objectBytes, origin).ReadMetadata();
        }
        catch (BpfException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.LinkInternalFailure,
                $"reading the AOT metadata failed unexpectedly ({e.GetType().Name}: {e.Message})", File: origin), e);
        }
    }

    private static void CheckHost(string? origin)
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            throw BpfException.Create(DiagnosticCodes.NativeObjectTargetMismatch,
                $"this host is {RuntimeInformation.ProcessArchitecture}; the AOT linker links x86_64 code only. Use the interpreter engine here",
                origin);
        }
    }

    /// <summary>The host's architecture name as in a target triple.</summary>
    internal static string HostArchitecture => "x86_64";

    /// <summary>How an undefined symbol is satisfied.</summary>
    private enum ExternalKind
    {
        /// <summary>A helper's C-callable entry, outside the block (reached through a stub when far).</summary>
        Helper,
        /// <summary>A helper with StopsProgramOnZero, reached through an in-block wrapper.</summary>
        CheckedHelper,
        Dispatcher,
        Builtin,
        MapHandle,
        MapValue,
        GotBase,
        /// <summary>An unresolved weak symbol: address 0.</summary>
        Zero,
    }

    private sealed record External(ExternalKind Kind, string Description, nint Address = 0, HelperFunction? Helper = null, string? Builtin = null)
    {
        public int Slot { get; set; } = -1;

        public bool IsFunction => Kind is ExternalKind.Helper or ExternalKind.CheckedHelper or ExternalKind.Dispatcher or ExternalKind.Builtin;
    }

    private sealed class LinkJob(AotObjectFile file, AotLinkOptions options)
    {
        private readonly List<BpfDiagnostic> _errors = [];
        private readonly List<BpfDiagnostic> _warnings = [];
        private readonly Dictionary<int, External> _externals = [];
        private readonly Dictionary<int, BpfMap> _boundMaps = [];
        private AotMetadata? _metadata;

        private string? Origin => options.Origin;

        private void Error(string code, string message, string? program = null) =>
            _errors.Add(new BpfDiagnostic(code, message, File: Origin, Program: program));

        private void ThrowIfErrors()
        {
            if (_errors.Count > 0)
            {
                throw new BpfException(_errors);
            }
        }

        public AotModule Run()
        {
            if (file.Machine != AotObjectFile.MachineX64)
            {
                throw BpfException.Create(DiagnosticCodes.NativeObjectTargetMismatch,
                    $"the object is compiled for {AotObjectFile.MachineName(file.Machine)} but this host is {HostArchitecture}; " +
                    $"compile it for x86_64 (e.g. --target x86_64-linux-gnu)", Origin);
            }
            _metadata = file.ReadMetadata();
            if (_metadata is not null)
            {
                CheckMetadata(_metadata);
            }
            var programs = FindPrograms();
            ResolveExternals();
            if (_metadata is null)
            {
                WarnUnchecked();
            }
            ThrowIfErrors();
            return Build(programs);
        }

        // ---- checks that need no memory -------------------------------------------------------

        private void CheckMetadata(AotMetadata metadata)
        {
            var architecture = metadata.Triple.Split('-')[0];
            if (architecture is not ("x86_64" or "amd64" or "x86-64"))
            {
                throw BpfException.Create(DiagnosticCodes.NativeObjectTargetMismatch,
                    $"the object's metadata targets '{metadata.Triple}' but this host is {HostArchitecture}; compile it for x86_64-unknown-linux-gnu",
                    Origin);
            }
            foreach (var program in metadata.Programs)
            {
                if (program.StackSize is < 0 or > MaxStackSize)
                {
                    Error(DiagnosticCodes.LinkStackTooLarge,
                        $"program '{program.Name}' uses {program.StackSize} bytes of stack; at most {MaxStackSize} are allowed", program.Name);
                }
                if (program.CallDepth > MaxCallDepth)
                {
                    Error(DiagnosticCodes.LinkCallDepthTooLarge,
                        $"program '{program.Name}' nests local calls {program.CallDepth} deep; at most {MaxCallDepth} are allowed", program.Name);
                }
                foreach (var use in program.Helpers)
                {
                    if (!options.Helpers.TryGet(use.Id, out var helper))
                    {
                        Error(DiagnosticCodes.LinkUnknownHelper,
                            $"program '{program.Name}' calls helper #{use.Id} ({use.Name}, symbol {HelperSymbols.SymbolFor(use.Id)}), which helper set '{options.Helpers.Name}' does not hold",
                            program.Name);
                    }
                    else if (!string.Equals(helper.Prototype.Signature, use.Signature, StringComparison.Ordinal))
                    {
                        Error(DiagnosticCodes.LinkHelperSignatureMismatch,
                            $"program '{program.Name}' was compiled against helper #{use.Id} {use.Name} {use.Signature}, but helper set '{options.Helpers.Name}' has {helper.Name} {helper.Prototype.Signature}",
                            program.Name);
                    }
                    else if (use.StopsProgramOnZero && !helper.StopsProgramOnZero)
                    {
                        // Code compiled to stop on 0 would end programs the active set lets run on. The
                        // converse is fine: the linker's wrapper stops the program itself.
                        Error(DiagnosticCodes.LinkHelperSignatureMismatch,
                            $"program '{program.Name}' was compiled to stop when helper #{use.Id} {use.Name} returns 0, but in helper set '{options.Helpers.Name}' it does not stop programs",
                            program.Name);
                    }
                }
                foreach (var index in program.Maps)
                {
                    if (index < 0 || index >= metadata.Maps.Count)
                    {
                        Error(DiagnosticCodes.AotMetadataInvalid,
                            $"program '{program.Name}' refers to map {index}, but the metadata lists {metadata.Maps.Count} maps", program.Name);
                    }
                }
            }
            for (var index = 0; index < metadata.Maps.Count; index++)
            {
                var expected = metadata.Maps[index];
                var actual = options.Maps.FirstOrDefault(m => m.Name == expected.Name)
                    ?? (index < options.Maps.Count ? options.Maps[index] : null);
                if (actual is null)
                {
                    Error(DiagnosticCodes.LinkMapMissing,
                        $"the object expects map '{expected.Name}' (index {index}), but the runtime provides no map of that name or index");
                    continue;
                }
                CompareLayout(index, expected, actual);
                _boundMaps[index] = actual;
            }
        }

        private void CompareLayout(int index, AotMap expected, BpfMap actual)
        {
            var spec = actual.Spec;
            void Field(string field, ulong compiled, ulong runtime)
            {
                if (compiled != runtime)
                {
                    Error(DiagnosticCodes.LinkMapLayoutMismatch,
                        $"map '{expected.Name}' (index {index}): {field} is {compiled} in the object but {runtime} in the runtime's map '{actual.Name}'");
                }
            }
            Field("type", expected.Type, (uint)spec.Type);
            Field("key_size", expected.KeySize, spec.KeySize);
            Field("value_size", expected.ValueSize, spec.ValueSize);
            Field("max_entries", expected.MaxEntries, spec.MaxEntries);
            Field("flags", expected.Flags, spec.Flags);
        }

        private List<(string Name, ElfSymbol Symbol)> FindPrograms()
        {
            var found = new List<(string, ElfSymbol)>();
            if (_metadata is not null)
            {
                foreach (var program in _metadata.Programs)
                {
                    var symbol = file.FindGlobalSymbol(program.Symbol);
                    if (symbol is null || symbol.IsUndefined)
                    {
                        Error(DiagnosticCodes.LinkProgramSymbolInvalid,
                            $"program '{program.Name}': its entry symbol '{program.Symbol}' is not defined in the object", program.Name);
                    }
                    else if (!IsFunctionInCode(symbol))
                    {
                        Error(DiagnosticCodes.LinkProgramSymbolInvalid,
                            $"program '{program.Name}': its entry symbol '{program.Symbol}' is not a function in a code section", program.Name);
                    }
                    else
                    {
                        found.Add((program.Name, symbol));
                    }
                }
            }
            else
            {
                found.AddRange(file.Symbols.Where(s => s.IsGlobal && !s.IsUndefined && IsFunctionInCode(s)).Select(s => (s.Name, s)));
            }
            if (found.Count == 0 && _errors.Count == 0)
            {
                Error(DiagnosticCodes.LinkNoPrograms, _metadata is null
                    ? "the object defines no global function to run as a program"
                    : "the object's metadata lists no program");
            }
            return found;
        }

        private bool IsFunctionInCode(ElfSymbol symbol) =>
            symbol.IsFunction && symbol.SectionIndex < file.Sections.Count && file.Sections[symbol.SectionIndex].IsExecutable
            && file.Sections[symbol.SectionIndex].IsAllocated && symbol.Value < file.Sections[symbol.SectionIndex].Size;

        private void ResolveExternals()
        {
            foreach (var symbol in file.Symbols)
            {
                if (!symbol.IsUndefined || symbol.Index == 0 || symbol.Name.Length == 0)
                {
                    continue;
                }
                var external = Resolve(symbol);
                if (external is not null)
                {
                    _externals[symbol.Index] = external;
                }
            }
        }

        private External? Resolve(ElfSymbol symbol)
        {
            var name = symbol.Name;
            if (HelperSymbols.TryParse(name, out var helperId))
            {
                if (options.Helpers.TryGet(helperId, out var helper))
                {
                    return new External(helper.StopsProgramOnZero ? ExternalKind.CheckedHelper : ExternalKind.Helper,
                        $"helper #{helperId} {helper.Name}", Helper: helper);
                }
                Error(DiagnosticCodes.LinkUnknownHelper,
                    $"the object calls helper #{helperId} (symbol {name}), which helper set '{options.Helpers.Name}' does not hold");
                return null;
            }
            if (name == AotMetadata.HelperByIdSymbol)
            {
                return new External(ExternalKind.Dispatcher, "the helper-by-id dispatcher");
            }
            if (AotSupportCode.BuiltinNames.Contains(name))
            {
                return new External(ExternalKind.Builtin, $"builtin {name}", Builtin: name);
            }
            if (name == "_GLOBAL_OFFSET_TABLE_")
            {
                return new External(ExternalKind.GotBase, "the global offset table");
            }
            if (TryParseMapSymbol(name, "_bpf_map_handle_", out var handleIndex))
            {
                var map = MapFor(handleIndex, name);
                return map is null ? null : new External(ExternalKind.MapHandle, $"the handle of map '{map.Name}'", map.Handle);
            }
            if (TryParseMapSymbol(name, "_bpf_map_value_", out var valueIndex))
            {
                var map = MapFor(valueIndex, name);
                if (map is null)
                {
                    return null;
                }
                nint value;
                try
                {
                    value = map.DirectValueAddress(0);
                }
                catch (NotSupportedException)
                {
                    value = 0;
                }
                if (value == 0)
                {
                    Error(DiagnosticCodes.LinkMapValueUnavailable,
                        $"symbol {name} needs a direct value address, but map '{map.Name}' ({map.Type}) has no fixed value block");
                    return null;
                }
                return new External(ExternalKind.MapValue, $"the value of map '{map.Name}'", value);
            }
            if (symbol.Binding == ElfSymbol.BindingWeak)
            {
                return new External(ExternalKind.Zero, $"unresolved weak symbol {name}");
            }
            Error(DiagnosticCodes.LinkUnresolvedSymbol,
                $"undefined symbol '{name}' is neither a helper ({HelperSymbols.Prefix}NNNN), a map symbol (_bpf_map_handle_N, _bpf_map_value_N), " +
                $"{AotMetadata.HelperByIdSymbol} nor a builtin ({string.Join(", ", AotSupportCode.BuiltinNames)})");
            return null;
        }

        private static bool TryParseMapSymbol(string name, string prefix, out int index)
        {
            index = 0;
            return name.StartsWith(prefix, StringComparison.Ordinal)
                && int.TryParse(name.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out index);
        }

        private BpfMap? MapFor(int index, string symbol)
        {
            BpfMap? map;
            if (_metadata is not null)
            {
                if (index >= _metadata.Maps.Count)
                {
                    Error(DiagnosticCodes.LinkMapMissing,
                        $"symbol {symbol} refers to map {index}, but the object's metadata lists {_metadata.Maps.Count} maps");
                    return null;
                }
                if (!_boundMaps.TryGetValue(index, out map))
                {
                    return null; // already reported as missing
                }
            }
            else
            {
                if (index >= options.Maps.Count)
                {
                    Error(DiagnosticCodes.LinkMapMissing,
                        $"symbol {symbol} refers to map {index}, but the runtime provides {options.Maps.Count} maps");
                    return null;
                }
                map = options.Maps[index];
            }
            if (map.IsDisposed)
            {
                Error(DiagnosticCodes.LinkMapMissing, $"symbol {symbol} refers to map '{map.Name}', which is disposed");
                return null;
            }
            return map;
        }

        private void WarnUnchecked()
        {
            var helpers = _externals.Values.Where(e => e.Helper is not null).Select(e => e.Helper!.Id).Distinct().Order().ToList();
            var maps = _externals.Values.Where(e => e.Kind is ExternalKind.MapHandle or ExternalKind.MapValue).Select(e => e.Description).Distinct().ToList();
            var message = $"the object has no {AotMetadata.SectionName} metadata: helper ids and symbols were checked, but not helper signatures" +
                (helpers.Count > 0 ? $" (helpers {string.Join(", ", helpers.Select(id => "#" + id))})" : "") +
                ", program stack sizes and call depth" +
                (maps.Count > 0 ? $", nor map layouts ({string.Join(", ", maps)})" : ", nor map layouts");
            _warnings.Add(new BpfDiagnostic(DiagnosticCodes.LinkMetadataAbsent, message, DiagnosticSeverity.Warning, File: Origin));
        }

        // ---- layout, binding and relocation --------------------------------------------------

        private AotModule Build(List<(string Name, ElfSymbol Symbol)> programs)
        {
            var layout = new BlockLayout(file, _externals, options.Helpers, Origin);
            var memory = layout.Allocate();
            try
            {
                var module = layout.Write(memory, programs, _errors, _metadata, _warnings, options);
                ThrowIfErrors();
                return module;
            }
            catch
            {
                memory.Dispose();
                throw;
            }
        }
    }

    /// <summary>Offsets of everything in the block, then the writing of it.</summary>
    private sealed class BlockLayout
    {
        private readonly AotObjectFile _file;
        private readonly Dictionary<int, External> _externals;
        private readonly HelperTable _helpers;
        private readonly string? _origin;
        private readonly Dictionary<int, ulong> _sectionOffsets = [];
        private readonly Dictionary<int, ulong> _commonOffsets = [];
        private readonly Dictionary<int, int> _gotSlots = [];
        private readonly List<External> _checkedHelpers = [];
        private readonly List<External> _stubbedHelpers = [];
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

        public BlockLayout(AotObjectFile file, Dictionary<int, External> externals, HelperTable helpers, string? origin)
        {
            _file = file;
            _externals = externals;
            _helpers = helpers;
            _origin = origin;
            var kept = file.Sections.Where(IsKept).ToList();
            foreach (var external in externals.Values.DistinctBy(e => (e.Kind, e.Helper?.Id, e.Builtin)))
            {
                if (external.Kind == ExternalKind.CheckedHelper)
                {
                    _checkedHelpers.Add(external);
                }
                else if (external.Kind == ExternalKind.Helper)
                {
                    _stubbedHelpers.Add(external);
                }
            }
            foreach (var external in externals.Values)
            {
                external.Slot = external.Kind switch
                {
                    ExternalKind.CheckedHelper => _checkedHelpers.FindIndex(e => e.Helper!.Id == external.Helper!.Id),
                    ExternalKind.Helper => _stubbedHelpers.FindIndex(e => e.Helper!.Id == external.Helper!.Id),
                    _ => -1,
                };
            }
            _withDispatcher = externals.Values.Any(e => e.Kind == ExternalKind.Dispatcher);
            _dispatchLength = _withDispatcher ? Math.Min(MaxDispatchId, helpers.Select(h => h.Id).Where(id => id >= 0).DefaultIfEmpty(-1).Max() + 1) : 0;
            foreach (var section in kept)
            {
                foreach (var relocation in file.RelocationsFor(section))
                {
                    if (relocation.Type is X64RelocationType.GotPcRelative or X64RelocationType.GotPcRelativeRelaxable
                        or X64RelocationType.RexGotPcRelativeRelaxable or X64RelocationType.Got32 or X64RelocationType.Got64)
                    {
                        _gotSlots.TryAdd(relocation.SymbolIndex, _gotSlots.Count);
                    }
                    _needsLowAddress |= relocation.Type is X64RelocationType.Absolute32 or X64RelocationType.Absolute32Signed;
                }
            }

            // Code pages: support routines first, then the object's code.
            var support = EmitSupport(0, new AotSupportSlots(0, 0, _dispatchLength,
                [.. _checkedHelpers.Select(_ => 0)], [.. _stubbedHelpers.Select(_ => 0)])).Code;
            ulong cursor = (ulong)support.Length;
            foreach (var section in kept.Where(s => s.IsExecutable))
            {
                cursor = Place(section, cursor);
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
            foreach (var section in kept.Where(s => !s.IsExecutable && !IsWritableAtRunTime(s)))
            {
                cursor = Place(section, cursor);
            }
            _readOnlySize = RoundToPage(cursor) - _codeSize;

            // Read-write pages: globals, zero-filled data and common symbols.
            cursor = _codeSize + _readOnlySize;
            var readWriteStart = cursor;
            foreach (var section in kept.Where(s => !s.IsExecutable && IsWritableAtRunTime(s)))
            {
                cursor = Place(section, cursor);
            }
            foreach (var symbol in file.Symbols.Where(s => s.SectionIndex == ElfSymbol.SectionCommon))
            {
                var alignment = symbol.Value is > 0 and <= 4096 && (symbol.Value & (symbol.Value - 1)) == 0 ? symbol.Value : 16;
                if (symbol.Size > int.MaxValue)
                {
                    throw Malformed($"common symbol '{symbol.Name}' claims {symbol.Size} bytes");
                }
                cursor = Align(cursor, alignment);
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
            if (!section.IsAllocated || DroppedSections.Contains(section.Name) || section.Type is SectionTypeUnwind or SectionTypeNote)
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

        private ulong Place(ElfSection section, ulong cursor)
        {
            cursor = Align(cursor, section.Alignment);
            _sectionOffsets[section.Index] = cursor;
            return cursor + section.Size;
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
            AotMetadata? metadata, List<BpfDiagnostic> warnings, AotLinkOptions options)
        {
            var block = memory.Writable;
            var baseAddress = (ulong)memory.Address;
            var (support, entries) = EmitSupport(0, new AotSupportSlots(_frameSlot, _dispatchTable, _dispatchLength,
                [.. Enumerable.Range(0, _checkedHelpers.Count).Select(i => _firstCheckedSlot + (8 * i))],
                [.. Enumerable.Range(0, _stubbedHelpers.Count).Select(i => _firstStubSlot + (8 * i))]));
            support.CopyTo(block);

            BinaryPrimitives.WriteInt64LittleEndian(block[_frameSlot..], AotRunFrame.CurrentFrameEntry);
            for (var i = 0; i < _checkedHelpers.Count; i++)
            {
                BinaryPrimitives.WriteInt64LittleEndian(block[(_firstCheckedSlot + (8 * i))..], _checkedHelpers[i].Helper!.NativeEntry);
            }
            for (var i = 0; i < _stubbedHelpers.Count; i++)
            {
                BinaryPrimitives.WriteInt64LittleEndian(block[(_firstStubSlot + (8 * i))..], _stubbedHelpers[i].Helper!.NativeEntry);
            }
            foreach (var helper in _helpers)
            {
                if (helper.Id >= 0 && helper.Id < _dispatchLength)
                {
                    var entry = block[(_dispatchTable + (16 * helper.Id))..];
                    BinaryPrimitives.WriteInt64LittleEndian(entry, helper.NativeEntry);
                    BinaryPrimitives.WriteInt64LittleEndian(entry[8..], helper.StopsProgramOnZero ? 1 : 0);
                }
            }
            foreach (var (index, offset) in _sectionOffsets)
            {
                var section = _file.Sections[index];
                _file.Contents(section).CopyTo(block[(int)offset..]);
            }

            ulong AddressOfExternal(External external, bool throughStub) => external.Kind switch
            {
                ExternalKind.Helper => throughStub ? baseAddress + (ulong)entries.Stubs[external.Slot] : (ulong)external.Helper!.NativeEntry,
                ExternalKind.CheckedHelper => baseAddress + (ulong)entries.CheckedHelpers[external.Slot],
                ExternalKind.Dispatcher => baseAddress + (ulong)entries.Dispatcher,
                ExternalKind.Builtin => baseAddress + (ulong)entries.Builtins[external.Builtin!],
                ExternalKind.GotBase => baseAddress + (ulong)_got,
                ExternalKind.Zero => 0,
                _ => (ulong)external.Address,
            };

            ulong? AddressOf(ElfSymbol symbol, bool throughStub, string place)
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
                    return baseAddress + _commonOffsets[symbol.Index];
                }
                if (symbol.SectionIndex >= ElfSymbol.SectionAbsolute || !_sectionOffsets.TryGetValue(symbol.SectionIndex, out var offset))
                {
                    var sectionName = symbol.SectionIndex < _file.Sections.Count ? _file.Sections[symbol.SectionIndex].Name : symbol.SectionIndex.ToString(CultureInfo.InvariantCulture);
                    errors.Add(new BpfDiagnostic(DiagnosticCodes.LinkUnsupportedSection,
                        $"{place} refers to '{SymbolName(symbol)}' in section {sectionName}, which is not loaded", File: _origin));
                    return null;
                }
                var section = _file.Sections[symbol.SectionIndex];
                if (symbol.Value > section.Size)
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
                var target = AddressOf(symbol, throughStub: false, "a GOT entry");
                BinaryPrimitives.WriteUInt64LittleEndian(block[(_got + (8 * slot))..], target ?? 0);
            }

            foreach (var (sectionIndex, sectionOffset) in _sectionOffsets)
            {
                var section = _file.Sections[sectionIndex];
                foreach (var relocation in _file.RelocationsFor(section))
                {
                    Apply(block, baseAddress, section, sectionOffset, relocation, AddressOf, errors);
                }
            }

            var symbols = new Dictionary<string, nint>(StringComparer.Ordinal);
            foreach (var symbol in _file.Symbols.Where(s => s.IsGlobal && !s.IsUndefined && s.Name.Length > 0))
            {
                if (_sectionOffsets.TryGetValue(symbol.SectionIndex, out var offset) && symbol.Value <= _file.Sections[symbol.SectionIndex].Size)
                {
                    symbols.TryAdd(symbol.Name, (nint)(baseAddress + offset + symbol.Value));
                }
            }
            var programEntries = new Dictionary<string, nint>(StringComparer.Ordinal);
            foreach (var (name, symbol) in programs)
            {
                if (_sectionOffsets.TryGetValue(symbol.SectionIndex, out var offset))
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
                options.Helpers, options.Maps, _origin, layout);
        }

        /// <summary>How many references went through a far-call stub (for the layout figures).</summary>
        public int StubbedReferences { get; private set; }

        private static bool FitsSigned32(ulong value) => unchecked((long)value) is >= int.MinValue and <= int.MaxValue;

        private string SymbolName(ElfSymbol symbol) =>
            symbol.Name.Length > 0 ? symbol.Name
            : symbol.Type == ElfSymbol.TypeSection && symbol.SectionIndex < _file.Sections.Count ? _file.Sections[symbol.SectionIndex].Name
            : $"symbol #{symbol.Index}";

        private delegate ulong? SymbolAddress(ElfSymbol symbol, bool throughStub, string place);

        private void Apply(Span<byte> block, ulong baseAddress, ElfSection section, ulong sectionOffset, ElfRelocation relocation,
            SymbolAddress addressOf, List<BpfDiagnostic> errors)
        {
            if (relocation.Type == X64RelocationType.None)
            {
                return;
            }
            var symbol = _file.Symbols[relocation.SymbolIndex];
            var place = $"relocation {relocation.Type} at {section.Name}+0x{relocation.Offset:x}";
            var width = relocation.Type switch
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
                    $"relocation type {(uint)relocation.Type} at {section.Name}+0x{relocation.Offset:x} (symbol '{SymbolName(symbol)}') is not supported by the AOT linker",
                    File: _origin));
                return;
            }
            if (relocation.Offset + (ulong)width > section.Size)
            {
                errors.Add(new BpfDiagnostic(DiagnosticCodes.NativeObjectMalformed,
                    $"the native object is malformed: {place} writes past the end of the section ({section.Size} bytes)", File: _origin));
                return;
            }
            if (section.IsNoBits)
            {
                errors.Add(new BpfDiagnostic(DiagnosticCodes.NativeObjectMalformed,
                    $"the native object is malformed: {place} patches a zero-filled section", File: _origin));
                return;
            }
            var field = block.Slice((int)(sectionOffset + relocation.Offset), width);
            var p = baseAddress + sectionOffset + relocation.Offset;
            var a = unchecked((ulong)relocation.Addend);
            var isPcRelative = relocation.Type is X64RelocationType.PcRelative32 or X64RelocationType.Plt32;
            var gotBase = baseAddress + (ulong)_got;
            ulong GotSlot() => gotBase + (8 * (ulong)_gotSlots[relocation.SymbolIndex]);

            ulong value;
            switch (relocation.Type)
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
                        var s = addressOf(symbol, throughStub: false, place);
                        if (s is null)
                        {
                            return;
                        }
                        value = relocation.Type switch
                        {
                            X64RelocationType.Absolute64 or X64RelocationType.Absolute32 or X64RelocationType.Absolute32Signed => unchecked(s.Value + a),
                            X64RelocationType.GotOffset64 => unchecked(s.Value + a - gotBase),
                            _ => unchecked(s.Value + a - p),
                        };
                        // A call or PC-relative reference to a helper beyond ±2 GiB goes through its stub in the block.
                        if (isPcRelative && !FitsSigned32(value) && _externals.TryGetValue(relocation.SymbolIndex, out var far)
                            && far.Kind == ExternalKind.Helper)
                        {
                            value = unchecked(addressOf(symbol, throughStub: true, place)!.Value + a - p);
                            StubbedReferences++;
                        }
                        break;
                    }
            }

            if (width == 8)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(field, value);
                return;
            }
            var fits = relocation.Type == X64RelocationType.Absolute32
                ? value <= uint.MaxValue
                : FitsSigned32(value);
            if (!fits)
            {
                var target = relocation.SymbolIndex != 0 && _externals.TryGetValue(relocation.SymbolIndex, out var external)
                    ? $"{external.Description} ({SymbolName(symbol)})" : $"'{SymbolName(symbol)}'";
                var advice = relocation.Type is X64RelocationType.Absolute32 or X64RelocationType.Absolute32Signed
                    ? "compile with -fPIC (clang's default here) or -mcmodel=large instead of -fno-pic"
                    : "the target lies outside ±2 GiB of the code; reference it through the GOT (-fPIC) or with -mcmodel=large";
                errors.Add(new BpfDiagnostic(DiagnosticCodes.LinkRelocationOutOfRange,
                    $"{place} cannot reach {target} (value 0x{value:x} does not fit 32 bits); {advice}", File: _origin));
                return;
            }
            BinaryPrimitives.WriteUInt32LittleEndian(field, unchecked((uint)value));
        }
    }
}
