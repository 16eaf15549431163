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
    private readonly Dictionary<string, AotProgramExecutable> _programs;
    private readonly IReadOnlyDictionary<string, nint> _symbols;

    // The helpers bound at link time: their native entries live only as long as these objects, and
    // the table may later have an id replaced. The linker made every helper it bound (by lookup, or by
    // enumerating the table for callx), so the table's made helpers cover them without making the rest.
    private readonly HelperFunction[] _boundHelpers;

    internal AotModule(ExecutableMemory memory, AotMetadata? metadata, IReadOnlyList<BpfDiagnostic> warnings,
        IReadOnlyDictionary<string, nint> entries, IReadOnlyDictionary<string, nint> symbols, nint run,
        HelperTable helpers, IReadOnlyList<BpfMap> maps, string? origin, AotModuleLayout layout,
        AotCheckedRuntime checks, IReadOnlySet<string> checkedPrograms)
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
        _symbols = symbols;
        // Loops, not LINQ: framework generics over pairs with nint are compiled at run time on every start.
        _programs = new Dictionary<string, AotProgramExecutable>(StringComparer.Ordinal);
        var names = new List<string>(entries.Count);
        foreach (var (name, entry) in entries)
        {
            _programs[name] = new AotProgramExecutable(this, name, entry, run, checkedPrograms.Contains(name));
            names.Add(name);
        }
        Programs = names;
        if (Programs.Count == 1)
        {
            checks.CallbackProgram = Programs[0];
        }
        RegisterCallbacks(metadata);
    }

    /// <summary>Whether <paramref name="name"/> is a callback entry the IR generator emits ("&lt;program symbol&gt;.callback&lt;N&gt;").</summary>
    internal static bool IsCallbackSymbol(string name)
    {
        var at = CallbackSuffixAt(name);
        return at > 0 && at + CallbackSuffix.Length < name.Length && name.AsSpan(at + CallbackSuffix.Length).IndexOfAnyExceptInRange('0', '9') < 0;
    }

    private const string CallbackSuffix = ".callback";

    // A span search, not string.LastIndexOf(string, Ordinal): that one sets up the culture's collator on
    // first use (about 5 ms of CPU at start-up), though an ordinal search needs none.
    private static int CallbackSuffixAt(string name) => name.AsSpan().LastIndexOf(CallbackSuffix.AsSpan());

    /// <summary>Lets each program's runs call its own callback entries, and nothing else (see <see cref="ProgramCallback"/>).</summary>
    private void RegisterCallbacks(AotMetadata? metadata)
    {
        foreach (var (symbol, address) in _symbols)
        {
            if (!IsCallbackSymbol(symbol))
            {
                continue;
            }
            var owner = symbol[..CallbackSuffixAt(symbol)];
            var program = FindProgram(metadata, owner, bySymbol: true)?.Name ?? owner;
            if (_programs.TryGetValue(program, out var executable))
            {
                ProgramCallback.Register(address, executable);
            }
        }
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
        foreach (var program in metadata.Programs)
        {
            if ((bySymbol ? program.Symbol : program.Name) == name)
            {
                return program;
            }
        }
        return null;
    }

    /// <summary>The slow path and fault reporting of checked code, reached through the run state's owner handle.</summary>
    internal AotCheckedRuntime Checks { get; }

    /// <summary>Whether the module has program <paramref name="name"/>.</summary>
    internal bool HasProgram(string name) => _programs.ContainsKey(name);

    /// <summary>Whether program <paramref name="name"/> was compiled with run-time memory checks (unverified code).</summary>
    public bool IsChecked(string name) => _programs.TryGetValue(name, out var program) && program.IsChecked;

    /// <summary>The object's <c>.bpftime.aot</c> metadata, or null for an object compiled without it.</summary>
    public AotMetadata? Metadata { get; }

    /// <summary>What could not be checked (objects without metadata), as warnings.</summary>
    public IReadOnlyList<BpfDiagnostic> Warnings { get; }

    /// <summary>Program names: the metadata's, or the object's global functions when it has none.</summary>
    public IReadOnlyList<string> Programs { get; }

    public HelperTable Helpers { get; }

    public IReadOnlyList<BpfMap> Maps { get; }

    public string? Origin { get; }

    /// <summary>Sizes of the code, read-only and read-write parts of the block.</summary>
    public AotModuleLayout Layout { get; }

    public bool IsDisposed { get; private set; }

    /// <summary>A program by name; BPF3117 when the module has none of that name.</summary>
    public IBpfExecutable GetProgram(string name)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (_programs.TryGetValue(name, out var program))
        {
            return program;
        }
        throw BpfException.Create(DiagnosticCodes.LinkUnknownProgram,
            $"the linked object has no program '{name}' (it has: {string.Join(", ", Programs)})", Origin, name);
    }

    /// <summary>The linked address of a defined global symbol of the object (for tests and tools), or null.</summary>
    public nint? FindSymbol(string name)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        return _symbols.TryGetValue(name, out var address) ? address : null;
    }

    public void Dispose()
    {
        if (!IsDisposed)
        {
            IsDisposed = true;
            foreach (var program in _programs.Values)
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
        foreach (var map in Maps)
        {
            if (map.IsDisposed)
            {
                return false;
            }
        }
        return true;
    }
}
