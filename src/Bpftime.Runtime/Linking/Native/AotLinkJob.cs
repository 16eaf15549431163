using System.Runtime.CompilerServices;
using Bpftime.Diagnostics;
using Bpftime.Elf;
using Bpftime.Engines.Aot;
using Bpftime.Helpers;
using Bpftime.Maps;

namespace Bpftime.Linking.Native;

/// <summary>
/// One link: the checks that need no memory, then the layout. It runs at every embedded load, so it
/// keeps what it finds in arrays indexed by symbol, map or program (no framework collections, tuples
/// or lambdas on the path a successful link takes: each is a set of types the runtime loads at start-up).
/// </summary>
internal sealed class AotLinkJob(AotObjectFile file, AotLinkOptions options)
{
    // Made on the first error or warning only.
    private List<BpfDiagnostic>? _errors;
    private List<BpfDiagnostic>? _warnings;
    // By symbol index; null for symbols that are defined or were refused.
    private SymbolBinding?[] _externals = null!;
    // By the metadata's map index (with metadata only); null for a map that is missing.
    private BpfMap?[] _boundMaps = null!;
    // The programs found, in order: names and entry symbols side by side.
    private string[] _programNames = null!;
    private ElfSymbol[] _programSymbols = null!;
    private AotMetadata? _metadata;
    // The checked-code runtime is owned by the module once linked (Run disposes it on failure); the
    // job keeps only its handle, which the owner symbol binds to.
    private nint _checksHandle;

    private string? Origin => options.Origin;

    private bool HasErrors => _errors is not null;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Error(string code, string message, string? program = null) =>
        (_errors ??= []).Add(new BpfDiagnostic(code, message, File: Origin, Program: program));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ThrowIfErrors()
    {
        if (_errors is not null)
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private AotModule Link(AotCheckedRuntime checks)
    {
        if (file.Machine != AotObjectFile.MachineX64)
        {
            throw WrongMachine();
        }
        _metadata = file.LinkMetadata();
        if (_metadata is not null)
        {
            CheckMetadata(_metadata);
        }
        else if (options.RequireMetadata)
        {
            throw MetadataRequired();
        }
        if (options.ExpectedSourceHash is not null)
        {
            CheckSourceHash(options.ExpectedSourceHash);
        }
        FindPrograms();
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
        return Build(checks);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private BpfException WrongMachine() => BpfException.Create(DiagnosticCodes.NativeObjectTargetMismatch,
        $"the object is compiled for {AotObjectFile.MachineName(file.Machine)} but this host is {AotLinker.HostArchitecture}; " +
        $"compile it for x86_64 (e.g. --target x86_64-linux-gnu)", Origin);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private BpfException MetadataRequired() => BpfException.Create(DiagnosticCodes.LinkMetadataRequired,
        $"the object has no {AotMetadata.SectionName} metadata, which is required here; compile it with `bpftime compile` so that the runtime can check it",
        Origin);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CheckSourceHash(string expected)
    {
        var actual = _metadata?.SourceHash;
        if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
        {
            Error(DiagnosticCodes.LinkSourceHashMismatch,
                $"the native code was compiled from {(actual is null ? "an unrecorded source" : actual)}, not from the eBPF object {expected}; rebuild the AOT object");
        }
    }

    // ---- checks that need no memory -------------------------------------------------------

    // Indexed loops over the metadata's lists: an enumerator is a type (and an allocation) per element type.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckMetadata(AotMetadata metadata)
    {
        // The triple's first part, without String.Split (its separator search and array on every load).
        var dash = metadata.Triple.IndexOf('-');
        var architecture = dash < 0 ? metadata.Triple : metadata.Triple[..dash];
        if (architecture is not ("x86_64" or "amd64" or "x86-64"))
        {
            throw WrongTriple(metadata.Triple);
        }
        var programs = metadata.ProgramArray;
        var maps = metadata.MapArray;
        for (var p = 0; p < programs.Length; p++)
        {
            var program = programs[p];
            CheckProgram(program);
            var helpers = program.HelperArray;
            for (var h = 0; h < helpers.Length; h++)
            {
                CheckHelper(program, helpers[h]);
            }
            var indexes = program.MapIndexArray;
            for (var m = 0; m < indexes.Length; m++)
            {
                var index = indexes[m];
                if (index < 0 || index >= maps.Length)
                {
                    Error(DiagnosticCodes.AotMetadataInvalid,
                        $"program '{program.Name}' refers to map {index}, but the metadata lists {maps.Length} maps", program.Name);
                }
            }
        }
        _boundMaps = new BpfMap?[maps.Length];
        for (var index = 0; index < maps.Length; index++)
        {
            var expected = maps[index];
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

    [MethodImpl(MethodImplOptions.NoInlining)]
    private BpfException WrongTriple(string triple) => BpfException.Create(DiagnosticCodes.NativeObjectTargetMismatch,
        $"the object's metadata targets '{triple}' but this host is {AotLinker.HostArchitecture}; compile it for x86_64-unknown-linux-gnu",
        Origin);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckProgram(AotProgram program)
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
    }

    private void CheckHelper(AotProgram program, AotHelperUse use)
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CompareLayout(int index, AotMap expected, BpfMap actual)
    {
        var spec = actual.Spec;
        CompareField(index, expected, actual, "type", expected.Type, (uint)spec.Type);
        CompareField(index, expected, actual, "key_size", expected.KeySize, spec.KeySize);
        CompareField(index, expected, actual, "value_size", expected.ValueSize, spec.ValueSize);
        CompareField(index, expected, actual, "max_entries", expected.MaxEntries, spec.MaxEntries);
        CompareField(index, expected, actual, "flags", expected.Flags, spec.Flags);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CompareField(int index, AotMap expected, BpfMap actual, string field, ulong compiled, ulong runtime)
    {
        if (compiled != runtime)
        {
            LayoutMismatch(index, expected, actual, field, compiled, runtime);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void LayoutMismatch(int index, AotMap expected, BpfMap actual, string field, ulong compiled, ulong runtime) =>
        Error(DiagnosticCodes.LinkMapLayoutMismatch,
            $"map '{expected.Name}' (index {index}): {field} is {compiled} in the object but {runtime} in the runtime's map '{actual.Name}'");

    /// <summary>Fills <see cref="_programNames"/> and <see cref="_programSymbols"/>: the metadata's programs, or without it every global function.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void FindPrograms()
    {
        var symbols = file.SymbolArray;
        var found = 0;
        if (_metadata is not null)
        {
            var programs = _metadata.ProgramArray;
            _programNames = new string[programs.Length];
            _programSymbols = new ElfSymbol[programs.Length];
            for (var p = 0; p < programs.Length; p++)
            {
                var program = programs[p];
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
                    _programNames[found] = program.Name;
                    _programSymbols[found++] = symbol;
                }
            }
        }
        else
        {
            for (var pass = 0; pass < 2; pass++)
            {
                // Counted first, then kept: the arrays have the programs' number.
                for (var i = 0; i < symbols.Length; i++)
                {
                    var symbol = symbols[i];
                    if (symbol.IsGlobal && !symbol.IsUndefined && IsFunctionInCode(symbol))
                    {
                        if (pass == 1)
                        {
                            _programNames[found] = symbol.Name;
                            _programSymbols[found] = symbol;
                        }
                        found++;
                    }
                }
                if (pass == 0)
                {
                    _programNames = new string[found];
                    _programSymbols = new ElfSymbol[found];
                    found = 0;
                }
            }
        }
        if (found != _programNames.Length)
        {
            KeepFoundPrograms(found);
        }
        if (found == 0 && !HasErrors)
        {
            Error(DiagnosticCodes.LinkNoPrograms, _metadata is null
                ? "the object defines no global function to run as a program"
                : "the object's metadata lists no program");
        }
    }

    // Some programs were refused (reported), so the link fails; the rest stay for its messages.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void KeepFoundPrograms(int found)
    {
        Array.Resize(ref _programNames, found);
        Array.Resize(ref _programSymbols, found);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsFunctionInCode(ElfSymbol symbol) =>
        symbol.IsFunction && symbol.SectionIndex < file.SectionArray.Length && file.SectionArray[symbol.SectionIndex].IsExecutable
        && file.SectionArray[symbol.SectionIndex].IsAllocated && symbol.Value < (ulong)file.SectionArray[symbol.SectionIndex].Size;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ResolveExternals()
    {
        var symbols = file.SymbolArray;
        _externals = new SymbolBinding?[symbols.Length];
        for (var i = 0; i < symbols.Length; i++)
        {
            var symbol = symbols[i];
            if (!symbol.IsUndefined || symbol.Index == 0 || symbol.Name.Length == 0)
            {
                continue;
            }
            _externals[symbol.Index] = Resolve(symbol);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private SymbolBinding? Resolve(ElfSymbol symbol)
    {
        var name = symbol.Name;
        if (HelperSymbols.TryParse(name, out var helperId))
        {
            if (options.Helpers.TryGet(helperId, out var helper))
            {
                return new SymbolBinding(helper.StopsProgramOnZero ? SymbolBindingKind.CheckedHelper : SymbolBindingKind.Helper, name, helper: helper);
            }
            Error(DiagnosticCodes.LinkUnknownHelper,
                $"the object calls helper #{helperId} (symbol {name}), which helper set '{options.Helpers.Name}' does not hold");
            return null;
        }
        // Every function of the checked-code runtime has an entry; any other name has none.
        var runtimeEntry = AotCheckedRuntime.EntryFor(name);
        if (runtimeEntry != 0)
        {
            return new SymbolBinding(SymbolBindingKind.Runtime, name, runtimeEntry);
        }
        if (name == AotCheckedAbi.OwnerSymbol)
        {
            return new SymbolBinding(SymbolBindingKind.RuntimeData, name, _checksHandle);
        }
        if (name == AotMetadata.HelperByIdSymbol)
        {
            return new SymbolBinding(SymbolBindingKind.Dispatcher, name);
        }
        if (AotSupportCode.IsBuiltin(name))
        {
            return new SymbolBinding(SymbolBindingKind.Builtin, name);
        }
        if (name == "_GLOBAL_OFFSET_TABLE_")
        {
            return new SymbolBinding(SymbolBindingKind.GotBase, name);
        }
        if (TryParseMapSymbol(name, "_bpf_map_handle_", out var handleIndex))
        {
            var map = MapFor(handleIndex, name);
            return map is null ? null : new SymbolBinding(SymbolBindingKind.MapHandle, name, map.Handle, map: map);
        }
        if (TryParseMapSymbol(name, "_bpf_map_value_", out var valueIndex))
        {
            var map = MapFor(valueIndex, name);
            if (map is null)
            {
                return null;
            }
            var value = DirectValueAddress(map);
            if (value == 0)
            {
                Error(DiagnosticCodes.LinkMapValueUnavailable,
                    $"symbol {name} needs a direct value address, but map '{map.Name}' ({map.Type}) has no fixed value block");
                return null;
            }
            return new SymbolBinding(SymbolBindingKind.MapValue, name, value, map: map);
        }
        if (ResolveInlineLookup(name) is { } inline)
        {
            return inline.Kind == SymbolBindingKind.Zero ? null : inline;
        }
        if (symbol.Binding == ElfSymbol.BindingWeak)
        {
            return new SymbolBinding(SymbolBindingKind.Zero, name);
        }
        Unresolved(name);
        return null;
    }

    private static nint DirectValueAddress(BpfMap map)
    {
        try
        {
            return map.DirectValueAddress(0);
        }
        catch (NotSupportedException)
        {
            return 0;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Unresolved(string name) => Error(DiagnosticCodes.LinkUnresolvedSymbol,
        $"undefined symbol '{name}' is neither a helper ({HelperSymbols.Prefix}NNNN), a map symbol (_bpf_map_handle_N, _bpf_map_value_N), " +
        $"a checked-code symbol ({string.Join(", ", AotCheckedAbi.FunctionSymbols)}, {AotCheckedAbi.OwnerSymbol}), " +
        $"{AotMetadata.HelperByIdSymbol} nor a builtin ({string.Join(", ", AotSupportCode.BuiltinNames)})");

    /// <summary>
    /// The symbols of lookups compiled inline: a map's storage, bound only when the live map has the
    /// layout the symbol's name says the code was compiled for; the per-CPU slot count; sched_getcpu.
    /// Null when the name is none of them; a Zero binding when it is one but was refused (reported).
    /// </summary>
    private SymbolBinding? ResolveInlineLookup(string name)
    {
        if (name == InlineLookup.SlotCountSymbol)
        {
            return new SymbolBinding(SymbolBindingKind.MapStorage, name, PerCpu.SlotCount);
        }
        if (name == InlineLookup.CurrentCpuSymbol)
        {
            return new SymbolBinding(SymbolBindingKind.NativeFunction, name, InlineLookup.CurrentCpuEntry);
        }
        if (!name.StartsWith(InlineLookup.SymbolPrefix, StringComparison.Ordinal))
        {
            return null;
        }
        return ResolveInlineStorage(name);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private SymbolBinding ResolveInlineStorage(string name)
    {
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
        return new SymbolBinding(SymbolBindingKind.MapStorage, name, map.StorageCell, map: map);
    }

    /// <summary><paramref name="name"/> is <paramref name="prefix"/> and a map index, read as helper symbols are.</summary>
    internal static bool TryParseMapSymbol(string name, string prefix, out int index) => HelperSymbols.TryParseIndex(name, prefix, out index);

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
            map = _boundMaps[index];
            if (map is null)
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
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static BpfMap? MapNamed(IReadOnlyList<BpfMap> maps, string name)
    {
        for (var i = 0; i < maps.Count; i++)
        {
            if (maps[i].Name == name)
            {
                return maps[i];
            }
        }
        return null;
    }

    /// <summary>
    /// Whether each program's entry takes a run state and checks memory: as the metadata records, or,
    /// for an object without metadata, every program when the object calls the checked-code runtime.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool[] CheckedPrograms()
    {
        var checkedPrograms = new bool[_programNames.Length];
        if (_metadata is not null)
        {
            var programs = _metadata.ProgramArray;
            for (var i = 0; i < checkedPrograms.Length; i++)
            {
                for (var p = 0; p < programs.Length; p++)
                {
                    checkedPrograms[i] |= programs[p].Checked && programs[p].Name == _programNames[i];
                }
            }
        }
        else if (CallsCheckedRuntime())
        {
            for (var i = 0; i < checkedPrograms.Length; i++)
            {
                checkedPrograms[i] = true;
            }
        }
        return checkedPrograms;
    }

    /// <summary>
    /// Whether the code calls the checked-code runtime. A loop rather than LINQ: the link is on every
    /// embedded load's path, which loads no System.Linq (docs/startup.md).
    /// </summary>
    private bool CallsCheckedRuntime()
    {
        foreach (var external in _externals)
        {
            if (external?.Kind is SymbolBindingKind.Runtime or SymbolBindingKind.RuntimeData)
            {
                return true;
            }
        }
        return false;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WarnUnchecked()
    {
        var bound = _externals.Where(e => e is not null).Select(e => e!).ToList();
        var helpers = bound.Where(e => e.Helper is not null).Select(e => e.Helper!.Id).Distinct().Order().ToList();
        var maps = bound.Where(e => e.Kind is SymbolBindingKind.MapHandle or SymbolBindingKind.MapValue).Select(e => e.Description).Distinct().ToList();
        var message = $"the object has no {AotMetadata.SectionName} metadata: helper ids and symbols were checked, but not helper signatures" +
            (helpers.Count > 0 ? $" (helpers {string.Join(", ", helpers.Select(id => "#" + id))})" : "") +
            ", program stack sizes and call depth" +
            (maps.Count > 0 ? $", nor map layouts ({string.Join(", ", maps)})" : ", nor map layouts");
        (_warnings ??= []).Add(new BpfDiagnostic(DiagnosticCodes.LinkMetadataAbsent, message, DiagnosticSeverity.Warning, File: Origin));
    }

    // ---- layout, binding and relocation --------------------------------------------------

    private AotModule Build(AotCheckedRuntime checks)
    {
        var layout = new AotBlockLayout(file, _externals, options.Helpers, Origin);
        var memory = layout.Allocate();
        try
        {
            IReadOnlyList<BpfDiagnostic> warnings = _warnings is null ? Array.Empty<BpfDiagnostic>() : _warnings;
            return layout.Write(memory, _programNames, _programSymbols, CheckedPrograms(), _metadata, warnings, options, checks);
        }
        catch
        {
            memory.Dispose();
            throw;
        }
    }
}
