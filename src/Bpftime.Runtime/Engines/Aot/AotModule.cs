using System.Runtime.CompilerServices;
using Bpftime.Diagnostics;
using Bpftime.Engines.Native;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Maps;

namespace Bpftime.Engines.Aot;

/// <summary>
/// A native object linked in memory: its code read-execute, its constants read-only, its globals
/// read-write, helpers and maps bound. Programs run through <see cref="GetProgram"/>. Disposing the
/// module frees the memory; programs taken from it must not run afterwards. The module does not own
/// the maps or the helper set, but keeps them reachable while it lives.
/// </summary>
public sealed class AotModule : IDisposable
{
    private readonly ExecutableMemory _memory;
    // Arrays searched in order, not dictionaries: a module has a handful of programs and is linked at
    // an app's start-up, where each framework collection type costs loading (docs/startup.md).
    private readonly AotProgramExecutable[] _programs;
    // The linked symbols, names and addresses side by side; a repeated name is looked up as its first.
    private readonly string[] _symbolNames;
    private readonly nint[] _symbolAddresses;

    // The helpers bound at link time: their native entries live only as long as these objects, and
    // the table may later have an id replaced. The linker made every helper it bound (by lookup, or by
    // enumerating the table for callx), so the table's made helpers cover them without making the rest.
    private readonly HelperFunction[] _boundHelpers;

    /// <summary>
    /// A module of the programs <paramref name="programNames"/> (distinct) at <paramref name="entries"/>,
    /// checked as <paramref name="checkedPrograms"/> says, and of the symbols <paramref name="symbolNames"/>
    /// at <paramref name="symbolAddresses"/>.
    /// </summary>
    internal AotModule(ExecutableMemory memory, AotMetadata? metadata, IReadOnlyList<BpfDiagnostic> warnings,
        string[] programNames, nint[] entries, bool[] checkedPrograms, string[] symbolNames, nint[] symbolAddresses, nint run,
        HelperTable helpers, IReadOnlyList<BpfMap> maps, string? origin, AotModuleLayout layout, AotCheckedRuntime checks)
    {
        Checks = checks;
        _memory = memory;
        _boundHelpers = helpers.Made();
        Metadata = metadata;
        Warnings = warnings;
        Helpers = helpers;
        Maps = maps;
        Origin = origin;
        Layout = layout;
        _symbolNames = symbolNames;
        _symbolAddresses = symbolAddresses;
        _programs = new AotProgramExecutable[programNames.Length];
        for (var i = 0; i < programNames.Length; i++)
        {
            _programs[i] = new AotProgramExecutable(this, programNames[i], entries[i], run, checkedPrograms[i]);
        }
        _programNames = programNames;
        if (programNames.Length == 1)
        {
            checks.CallbackProgram = programNames[0];
        }
        RegisterCallbacks(metadata);
    }

    /// <summary>Whether <paramref name="name"/> is a callback entry the IR generator emits ("&lt;program symbol&gt;.callback&lt;N&gt;").</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool IsCallbackSymbol(string name)
    {
        var at = CallbackSuffixAt(name);
        if (at <= 0 || at + CallbackSuffix.Length == name.Length)
        {
            return false;
        }
        for (var i = at + CallbackSuffix.Length; i < name.Length; i++)
        {
            if (name[i] is < '0' or > '9')
            {
                return false;
            }
        }
        return true;
    }

    private const string CallbackSuffix = ".callback";

    // Where the suffix last appears, ordinally. Char by char, not string.LastIndexOf(string, Ordinal),
    // which sets up the culture's collator on first use (about 5 ms of CPU at start-up), nor a span
    // search, whose extension methods the runtime names through the System.Memory facade (opened for it).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int CallbackSuffixAt(string name)
    {
        for (var at = name.Length - CallbackSuffix.Length; at >= 0; at--)
        {
            var matched = 0;
            while (matched < CallbackSuffix.Length && name[at + matched] == CallbackSuffix[matched])
            {
                matched++;
            }
            if (matched == CallbackSuffix.Length)
            {
                return at;
            }
        }
        return -1;
    }

    /// <summary>Lets each program's runs call its own callback entries, and nothing else (see <see cref="ProgramCallback"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void RegisterCallbacks(AotMetadata? metadata)
    {
        for (var i = 0; i < _symbolNames.Length; i++)
        {
            var symbol = _symbolNames[i];
            if (!IsCallbackSymbol(symbol) || SymbolIndex(symbol) != i)
            {
                continue;
            }
            var owner = symbol[..CallbackSuffixAt(symbol)];
            var program = FindProgram(metadata, owner, bySymbol: true)?.Name ?? owner;
            if (Program(program) is { } executable)
            {
                ProgramCallback.Register(_symbolAddresses[i], executable);
            }
        }
    }

    private AotProgramExecutable? Program(string name)
    {
        foreach (var program in _programs)
        {
            if (program.Name == name)
            {
                return program;
            }
        }
        return null;
    }

    /// <summary>Where <paramref name="name"/> first appears among the linked symbols, or -1.</summary>
    private int SymbolIndex(string name)
    {
        for (var i = 0; i < _symbolNames.Length; i++)
        {
            if (_symbolNames[i] == name)
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>
    /// The metadata's record of a program, by name or by symbol, or null. A loop rather than LINQ: it runs
    /// on every load, and System.Linq is otherwise not loaded by an app that links native code.
    /// </summary>
    internal static AotProgram? FindProgram(AotMetadata? metadata, string name, bool bySymbol = false)
    {
        if (metadata is null)
        {
            return null;
        }
        var programs = metadata.Programs;
        for (var i = 0; i < programs.Count; i++)
        {
            if ((bySymbol ? programs[i].Symbol : programs[i].Name) == name)
            {
                return programs[i];
            }
        }
        return null;
    }

    /// <summary>The slow path and fault reporting of checked code, reached through the run state's owner handle.</summary>
    internal AotCheckedRuntime Checks { get; }

    /// <summary>Whether the module has program <paramref name="name"/>.</summary>
    internal bool HasProgram(string name) => Program(name) is not null;

    /// <summary>Whether program <paramref name="name"/> was compiled with run-time memory checks (unverified code).</summary>
    public bool IsChecked(string name) => Program(name) is { IsChecked: true };

    /// <summary>The object's <c>.bpftime.aot</c> metadata, or null for an object compiled without it.</summary>
    public AotMetadata? Metadata { get; }

    /// <summary>What could not be checked (objects without metadata), as warnings.</summary>
    public IReadOnlyList<BpfDiagnostic> Warnings { get; }

    /// <summary>Program names: the metadata's, or the object's global functions when it has none.</summary>
    public IReadOnlyList<string> Programs => _programNames;

    private readonly string[] _programNames;

    public HelperTable Helpers { get; }

    public IReadOnlyList<BpfMap> Maps { get; }

    public string? Origin { get; }

    /// <summary>Sizes of the code, read-only and read-write parts of the block.</summary>
    public AotModuleLayout Layout { get; }

    public bool IsDisposed { get; private set; }

    /// <summary>A program by name; BPF3117 when the module has none of that name.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public IBpfExecutable GetProgram(string name)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        return Program(name) ?? throw UnknownProgram(name);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private BpfException UnknownProgram(string name)
    {
        return BpfException.Create(DiagnosticCodes.LinkUnknownProgram,
            $"the linked object has no program '{name}' (it has: {string.Join(", ", Programs)})", Origin, name);
    }

    /// <summary>The linked address of a defined global symbol of the object (for tests and tools), or null.</summary>
    public nint? FindSymbol(string name)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        var index = SymbolIndex(name);
        return index < 0 ? null : _symbolAddresses[index];
    }

    public void Dispose()
    {
        if (!IsDisposed)
        {
            IsDisposed = true;
            foreach (var program in _programs)
            {
                ProgramCallback.Unregister(program);
            }
            _memory.Dispose();
            Checks.Dispose();
        }
    }

    internal void KeepAlive() => GC.KeepAlive(_boundHelpers);

    /// <summary>Whether none of the maps the module was linked against has been disposed.</summary>
    internal bool MapsAlive()
    {
        var maps = Maps;
        for (var i = 0; i < maps.Count; i++)
        {
            if (maps[i].IsDisposed)
            {
                return false;
            }
        }
        return true;
    }
}
