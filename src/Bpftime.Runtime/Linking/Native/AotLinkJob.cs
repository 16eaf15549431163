using System.Globalization;
using Bpftime.Diagnostics;
using Bpftime.Elf;
using Bpftime.Engines.Aot;
using Bpftime.Helpers;
using Bpftime.Maps;

namespace Bpftime.Linking.Native;

/// <summary>One link: the checks that need no memory, then the layout.</summary>
internal sealed class AotLinkJob(AotObjectFile file, AotLinkOptions options)
{
    private readonly List<BpfDiagnostic> _errors = [];
    private readonly List<BpfDiagnostic> _warnings = [];
    private readonly Dictionary<int, SymbolBinding> _externals = [];
    private readonly Dictionary<int, BpfMap> _boundMaps = [];
    private AotMetadata? _metadata;
    // The checked-code runtime is owned by the module once linked (Run disposes it on failure); the
    // job keeps only its handle, which the owner symbol binds to.
    private nint _checksHandle;

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
        var checks = new AotCheckedRuntime(options.Maps, Origin, options.Helpers.Name);
        _checksHandle = checks.Handle;
        try
        {
            return Link(checks);
        }
        catch
        {
            checks.Dispose();
            throw;
        }
    }

    private AotModule Link(AotCheckedRuntime checks)
    {
        if (file.Machine != AotObjectFile.MachineX64)
        {
            throw BpfException.Create(DiagnosticCodes.NativeObjectTargetMismatch,
                $"the object is compiled for {AotObjectFile.MachineName(file.Machine)} but this host is {AotLinker.HostArchitecture}; " +
                $"compile it for x86_64 (e.g. --target x86_64-linux-gnu)", Origin);
        }
        _metadata = file.LinkMetadata();
        if (_metadata is not null)
        {
            CheckMetadata(_metadata);
        }
        else if (options.RequireMetadata)
        {
            throw BpfException.Create(DiagnosticCodes.LinkMetadataRequired,
                $"the object has no {AotMetadata.SectionName} metadata, which is required here; compile it with `bpftime compile` so that the runtime can check it",
                Origin);
        }
        if (options.ExpectedSourceHash is { } expected)
        {
            var actual = _metadata?.SourceHash;
            if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            {
                Error(DiagnosticCodes.LinkSourceHashMismatch,
                    $"the native code was compiled from {(actual is null ? "an unrecorded source" : actual)}, not from the eBPF object {expected}; rebuild the AOT object");
            }
        }
        var programs = FindPrograms();
        ResolveExternals();
        if (_metadata is null)
        {
            WarnUnchecked();
            if (CallsCheckedRuntime())
            {
                // Checked code whose run-state version nothing records may lack the execution budget.
                Error(DiagnosticCodes.AotMetadataInvalid,
                    $"the object holds checked code (it calls the checked-code runtime) but no {AotMetadata.SectionName} metadata, so its run-state version is unknown; link the object bpftime compile wrote, with its metadata");
            }
        }
        ThrowIfErrors();
        return Build(programs, checks);
    }

    // ---- checks that need no memory -------------------------------------------------------

    private void CheckMetadata(AotMetadata metadata)
    {
        // The triple's first part, without String.Split (its separator search and array on every load).
        var dash = metadata.Triple.IndexOf('-');
        var architecture = dash < 0 ? metadata.Triple : metadata.Triple[..dash];
        if (architecture is not ("x86_64" or "amd64" or "x86-64"))
        {
            throw BpfException.Create(DiagnosticCodes.NativeObjectTargetMismatch,
                $"the object's metadata targets '{metadata.Triple}' but this host is {AotLinker.HostArchitecture}; compile it for x86_64-unknown-linux-gnu",
                Origin);
        }
        foreach (var program in metadata.Programs)
        {
            if (program.StackSize is < 0 or > AotLinker.MaxStackSize)
            {
                Error(DiagnosticCodes.LinkStackTooLarge,
                    $"program '{program.Name}' uses {program.StackSize} bytes of stack; at most {AotLinker.MaxStackSize} are allowed", program.Name);
            }
            if (program.ContextSize < 0)
            {
                Error(DiagnosticCodes.AotMetadataInvalid, $"program '{program.Name}' records a context of {program.ContextSize} bytes", program.Name);
            }
            if (program.CheckedAbi != AotCheckedAbi.Version)
            {
                // Older checked code has no execution budget (an endless loop in it would never end);
                // older verified code does not record its frames, so helpers could not bound %s strings.
                Error(DiagnosticCodes.AotMetadataInvalid,
                    $"program '{program.Name}' was compiled for run-state version {program.CheckedAbi}, but this runtime runs version {AotCheckedAbi.Version} (execution budget; frame bounds recorded by verified code too); compile the object again with this version's bpftime compile", program.Name);
            }
            if (!program.Checked && program.TerminationProven == false && !program.CountsBudget)
            {
                // Unchecked code whose loops may not end must count the budget, or a run could never stop.
                Error(DiagnosticCodes.AotMetadataInvalid,
                    $"program '{program.Name}' was verified without proof that its loops end, but its code does not count the execution budget; compile the object again with this version's bpftime compile", program.Name);
            }
            if (program.CallDepth > AotLinker.MaxCallDepth)
            {
                Error(DiagnosticCodes.LinkCallDepthTooLarge,
                    $"program '{program.Name}' nests local calls {program.CallDepth} deep; at most {AotLinker.MaxCallDepth} are allowed", program.Name);
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
            var actual = MapNamed(options.Maps, expected.Name) ?? (index < options.Maps.Count ? options.Maps[index] : null);
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
            foreach (var symbol in file.Symbols)
            {
                if (symbol.IsGlobal && !symbol.IsUndefined && IsFunctionInCode(symbol))
                {
                    found.Add((symbol.Name, symbol));
                }
            }
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
        && file.Sections[symbol.SectionIndex].IsAllocated && symbol.Value < (ulong)file.Sections[symbol.SectionIndex].Size;

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

    private SymbolBinding? Resolve(ElfSymbol symbol)
    {
        var name = symbol.Name;
        if (HelperSymbols.TryParse(name, out var helperId))
        {
            if (options.Helpers.TryGet(helperId, out var helper))
            {
                return new SymbolBinding(helper.StopsProgramOnZero ? SymbolBindingKind.CheckedHelper : SymbolBindingKind.Helper,
                    $"helper #{helperId} {helper.Name}", Helper: helper);
            }
            Error(DiagnosticCodes.LinkUnknownHelper,
                $"the object calls helper #{helperId} (symbol {name}), which helper set '{options.Helpers.Name}' does not hold");
            return null;
        }
        if (IsOneOf(name, AotCheckedAbi.FunctionSymbols))
        {
            return new SymbolBinding(SymbolBindingKind.Runtime, $"checked-code runtime function {name}", AotCheckedRuntime.EntryFor(name));
        }
        if (name == AotCheckedAbi.OwnerSymbol)
        {
            return new SymbolBinding(SymbolBindingKind.RuntimeData, "the checked-code runtime's handle", _checksHandle);
        }
        if (name == AotMetadata.HelperByIdSymbol)
        {
            return new SymbolBinding(SymbolBindingKind.Dispatcher, "the helper-by-id dispatcher");
        }
        if (IsOneOf(name, AotSupportCode.BuiltinNames))
        {
            return new SymbolBinding(SymbolBindingKind.Builtin, $"builtin {name}", Builtin: name);
        }
        if (name == "_GLOBAL_OFFSET_TABLE_")
        {
            return new SymbolBinding(SymbolBindingKind.GotBase, "the global offset table");
        }
        if (TryParseMapSymbol(name, "_bpf_map_handle_", out var handleIndex))
        {
            var map = MapFor(handleIndex, name);
            return map is null ? null : new SymbolBinding(SymbolBindingKind.MapHandle, $"the handle of map '{map.Name}'", map.Handle);
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
            return new SymbolBinding(SymbolBindingKind.MapValue, $"the value of map '{map.Name}'", value);
        }
        if (ResolveInlineLookup(name) is { } inline)
        {
            return inline.Kind == SymbolBindingKind.Zero ? null : inline;
        }
        if (symbol.Binding == ElfSymbol.BindingWeak)
        {
            return new SymbolBinding(SymbolBindingKind.Zero, $"unresolved weak symbol {name}");
        }
        Error(DiagnosticCodes.LinkUnresolvedSymbol,
            $"undefined symbol '{name}' is neither a helper ({HelperSymbols.Prefix}NNNN), a map symbol (_bpf_map_handle_N, _bpf_map_value_N), " +
            $"a checked-code symbol ({string.Join(", ", AotCheckedAbi.FunctionSymbols)}, {AotCheckedAbi.OwnerSymbol}), " +
            $"{AotMetadata.HelperByIdSymbol} nor a builtin ({string.Join(", ", AotSupportCode.BuiltinNames)})");
        return null;
    }

    /// <summary>
    /// The symbols of lookups compiled inline: a map's storage, bound only when the live map has the
    /// layout the symbol's name says the code was compiled for; the per-CPU slot count; sched_getcpu.
    /// Null when the name is none of them; a Zero binding when it is one but was refused (reported).
    /// </summary>
    private SymbolBinding? ResolveInlineLookup(string name)
    {
        if (name == InlineLookup.SlotCountSymbol)
        {
            return new SymbolBinding(SymbolBindingKind.MapStorage, "the per-CPU slot count", PerCpu.SlotCount);
        }
        if (name == InlineLookup.CurrentCpuSymbol)
        {
            return new SymbolBinding(SymbolBindingKind.NativeFunction, "sched_getcpu", InlineLookup.CurrentCpuEntry);
        }
        if (!name.StartsWith(InlineLookup.SymbolPrefix, StringComparison.Ordinal))
        {
            return null;
        }
        var refused = new SymbolBinding(SymbolBindingKind.Zero, name);
        if (!InlineLookup.TryParseSymbol(name, out var index, out var layout))
        {
            Error(DiagnosticCodes.InlineLookupLayoutMismatch,
                $"symbol {name} names no map layout (expected {InlineLookup.SymbolPrefix}INDEX_KIND_KEY_VALUE_ENTRIES); the object was not written by bpftime compile or is damaged");
            return refused;
        }
        var map = MapFor(index, name);
        if (map is null)
        {
            return refused;
        }
        if (layout!.Mismatch(map) is { } why)
        {
            Error(DiagnosticCodes.InlineLookupLayoutMismatch,
                $"the native code looks up map {index} itself and {why}; its lookups would address the wrong memory, so it is refused: compile the object again against this map");
            return refused;
        }
        return new SymbolBinding(SymbolBindingKind.MapStorage, $"the storage of map '{map.Name}'", map.StorageCell);
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

    // Loops, not LINQ: the link runs at an app's start-up, where each type and assembly loaded costs time.
    private static BpfMap? MapNamed(IReadOnlyList<BpfMap> maps, string name)
    {
        foreach (var map in maps)
        {
            if (map.Name == name)
            {
                return map;
            }
        }
        return null;
    }

    private static bool IsOneOf(string name, IReadOnlyList<string> names)
    {
        foreach (var candidate in names)
        {
            if (candidate == name)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Programs whose entry takes a run state and checks memory: as the metadata records, or, for an
    /// object without metadata, every program when the object calls the checked-code runtime.
    /// </summary>
    private HashSet<string> CheckedPrograms(List<(string Name, ElfSymbol Symbol)> programs)
    {
        if (_metadata is not null)
        {
            HashSet<string> recorded = [];
            foreach (var program in _metadata.Programs)
            {
                if (program.Checked)
                {
                    recorded.Add(program.Name);
                }
            }
            return recorded;
        }
        HashSet<string> names = [];
        if (CallsCheckedRuntime())
        {
            foreach (var program in programs)
            {
                names.Add(program.Name);
            }
        }
        return names;
    }

    /// <summary>
    /// Whether the code calls the checked-code runtime. A loop rather than LINQ: the link is on every
    /// embedded load's path, which loads no System.Linq (docs/startup.md).
    /// </summary>
    private bool CallsCheckedRuntime()
    {
        foreach (var external in _externals.Values)
        {
            if (external.Kind is SymbolBindingKind.Runtime or SymbolBindingKind.RuntimeData)
            {
                return true;
            }
        }
        return false;
    }

    private void WarnUnchecked()
    {
        var helpers = _externals.Values.Where(e => e.Helper is not null).Select(e => e.Helper!.Id).Distinct().Order().ToList();
        var maps = _externals.Values.Where(e => e.Kind is SymbolBindingKind.MapHandle or SymbolBindingKind.MapValue).Select(e => e.Description).Distinct().ToList();
        var message = $"the object has no {AotMetadata.SectionName} metadata: helper ids and symbols were checked, but not helper signatures" +
            (helpers.Count > 0 ? $" (helpers {string.Join(", ", helpers.Select(id => "#" + id))})" : "") +
            ", program stack sizes and call depth" +
            (maps.Count > 0 ? $", nor map layouts ({string.Join(", ", maps)})" : ", nor map layouts");
        _warnings.Add(new BpfDiagnostic(DiagnosticCodes.LinkMetadataAbsent, message, DiagnosticSeverity.Warning, File: Origin));
    }

    // ---- layout, binding and relocation --------------------------------------------------

    private AotModule Build(List<(string Name, ElfSymbol Symbol)> programs, AotCheckedRuntime checks)
    {
        var layout = new AotBlockLayout(file, _externals, options.Helpers, Origin);
        var memory = layout.Allocate();
        try
        {
            var module = layout.Write(memory, programs, _errors, _metadata, _warnings, options, checks, CheckedPrograms(programs));
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
