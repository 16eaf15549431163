using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.Aot;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Linking.Native;
using Bpftime.Maps;
using Bpftime.Objects;
using Bpftime.Verification;

namespace Bpftime.Hosting;

/// <summary>
/// A loaded eBPF object: its maps created, its programs ready to run on one engine. Load bytecode
/// with <see cref="Load(string, BpfLoadOptions?)"/>, or the object the build embedded with
/// <see cref="LoadEmbedded"/>, which prefers the native code compiled ahead of time and links it
/// in memory (no compiler is ever loaded). Disposing frees the programs, native code and maps.
/// </summary>
public sealed class BpfObject : IDisposable, IRunCounts
{
    // Arrays rather than lists: each framework list type is a family of types a load would load (docs/startup.md).
    private readonly BpfMap[] _maps;
    private IDisposable[]? _owned;
    private int _ownedCount;
    private readonly EngineOptions _engineOptions;
    private IReadOnlyList<BpfContextType>? _contextTypes;
    // Each named collection is a generic class with a family of interfaces to load (about twenty types):
    // both are made when first asked for. The load keeps the programs and their names in arrays
    // (SetPrograms), which GetProgram searches without the collection.
    private BpfProgram[]? _loadedPrograms;
    private string[]? _programNames;
    private BpfNamedCollection<BpfProgram>? _programs;
    private BpfNamedCollection<BpfMap>? _mapsByName;

    // Native code linked from its metadata alone: the embedded bytecode object, read on first use, and the programs the load selected.
    private readonly EmbeddedObject? _embedded;
    private readonly IReadOnlyList<string>? _selected;
    private readonly BpfObjectFile? _linkedFrom;
    private BpfObjectFile? _file;

    /// <summary>The host set .rodata bytes (BpfLoadOptions.ReadOnlyData): the build's verdicts on native code do not cover them.</summary>
    private bool _hostReadOnlyData;

    private BpfObject(string name, string? origin, BpfObjectFile file, BpfMap[] maps, HelperTable helpers, EngineOptions engineOptions)
    {
        _engineOptions = engineOptions;
        Name = name;
        Origin = origin;
        _file = file;
        _maps = maps;
        Helpers = helpers;
    }

    /// <summary>The object's name (file name without .bpf.o, or the embedded name).</summary>
    public string Name { get; }

    /// <summary>The path or resource it came from, for messages.</summary>
    public string? Origin { get; }

    /// <summary>What the object reader found: programs, map layouts, BTF, line info.</summary>
    /// <remarks>For embedded native code linked from its metadata alone, the embedded bytecode is read on first use.</remarks>
    public BpfObjectFile File => _file ??= ReadEmbeddedFile();

    // Apart from File, so that the load path never resolves the bytecode reader.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private BpfObjectFile ReadEmbeddedFile() => SelectPrograms(ObjectReader.Read(_embedded!.Bytecode, _embedded.BytecodeResource), _selected, _embedded.BytecodeResource);

    public BpfNamedCollection<BpfProgram> Programs => Volatile.Read(ref _programs) ?? NamePrograms();

    /// <summary>
    /// The program named <paramref name="name"/>, as <c>Programs[name]</c> (the same program, the same
    /// BPF4105 when there is none of that name) without making the named collection: for a host that only
    /// looks programs up by name, such as the accessor a build generates.
    /// </summary>
    public BpfProgram GetProgram(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var index = _programNames is { } names ? NamedLookup.IndexOf(names, name) : -1;
        return index >= 0 ? _loadedPrograms![index] : throw ProgramNotFound(name);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private BpfException ProgramNotFound(string name) =>
        _programNames is { } names ? NamedLookup.NotFound("program", names, name, Origin) : NamedLookup.NotFound("program", [], name, null);

    /// <summary>The object's maps by name; global data appears as .data, .rodata and .bss.</summary>
    public BpfNamedCollection<BpfMap> Maps => Volatile.Read(ref _mapsByName) ?? NameMaps();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private BpfNamedCollection<BpfMap> NameMaps()
    {
        var names = new string[_maps.Length];
        for (var i = 0; i < _maps.Length; i++)
        {
            names[i] = _maps[i].Name;
        }
        var made = new BpfNamedCollection<BpfMap>(names, _maps, "map", Origin);
        return Interlocked.CompareExchange(ref _mapsByName, made, null) ?? made;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private BpfNamedCollection<BpfProgram> NamePrograms()
    {
        if (_loadedPrograms is null)
        {
            // Only before the load set the programs (a load that failed): not kept, as the load may still set them.
            return new([], [], "program", null);
        }
        var made = new BpfNamedCollection<BpfProgram>(_programNames!, _loadedPrograms, "program", Origin);
        return Interlocked.CompareExchange(ref _programs, made, null) ?? made;
    }

    /// <summary>The loaded programs in the object's order (none before the load set them), for the object's own loops.</summary>
    private BpfProgram[] LoadedPrograms => _loadedPrograms ?? NoLoadedPrograms();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static BpfProgram[] NoLoadedPrograms() => [];

    public HelperTable Helpers { get; }

    /// <summary>The engine that runs the programs (the same for all of them).</summary>
    public string EngineName { get; private set; } = "";

    /// <summary>True when the programs run the native code compiled at build time.</summary>
    public bool IsNativeCode { get; private set; }

    public bool IsDisposed { get; private set; }

    /// <summary>Loads an eBPF object (ELF or raw bytecode) from a file.</summary>
    public static BpfObject Load(string path, BpfLoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        byte[] bytes;
        try
        {
            bytes = System.IO.File.ReadAllBytes(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.HostingIoFailure, $"cannot read the eBPF object: {error.Message}", File: path), error);
        }
        return LoadBytecode(NameFromPath(path), path, bytes, options ?? BpfLoadOptions.Default);
    }

    /// <summary>Loads an eBPF object from a stream (read to its end; not closed).</summary>
    public static BpfObject Load(Stream stream, BpfLoadOptions? options = null, string name = "stream")
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var copy = new MemoryStream();
        try
        {
            stream.CopyTo(copy);
        }
        catch (IOException error)
        {
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.HostingIoFailure, $"cannot read the eBPF object from the stream: {error.Message}"), error);
        }
        return LoadBytecode(name, null, copy.ToArray(), options ?? BpfLoadOptions.Default);
    }

    /// <summary>Loads an eBPF object from its bytes.</summary>
    public static BpfObject Load(byte[] bytes, BpfLoadOptions? options = null, string name = "bytes")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        return LoadBytecode(name, null, bytes, options ?? BpfLoadOptions.Default);
    }

    /// <summary>
    /// Loads the object the build embedded under <paramref name="name"/> (a <c>&lt;BpfProgram&gt;</c>
    /// item's name, such as "filter" for filter.bpf.o) from <paramref name="assembly"/>, or from the
    /// entry assembly. The native code for this machine is linked when present and the policy allows
    /// (<see cref="BpfLoadOptions.Engine"/>, $BPFTIME_ENGINE); otherwise the embedded bytecode runs
    /// on the jit or the interpreter, and a log line says why.
    /// </summary>
    public static BpfObject LoadEmbedded(string name, Assembly? assembly = null, BpfLoadOptions? options = null) =>
        LoadEmbedded(name, assembly, null, options ?? BpfLoadOptions.Default);

    /// <summary>Loads an object as if the build had embedded these bytecode and native objects.</summary>
    internal static BpfObject LoadEmbedded(EmbeddedObject embedded, BpfLoadOptions options) => LoadEmbedded(embedded.Name, null, embedded, options);

    /// <summary>Loads <paramref name="embedded"/>, or the object found under <paramref name="name"/> (its failure counted as the load's).</summary>
    private static BpfObject LoadEmbedded(string name, Assembly? assembly, EmbeddedObject? embedded, BpfLoadOptions options)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return Loaded(LoadEmbeddedObject(embedded ?? EmbeddedObject.Find(name, assembly), options), started);
        }
        catch (BpfException error)
        {
            BpftimeMetrics.LoadFailed(name, error.Diagnostic.Code, Stopwatch.GetElapsedTime(started));
            throw;
        }
    }

    /// <summary>Counts a finished load and lets the run counter see the object's programs.</summary>
    private static BpfObject Loaded(BpfObject loaded, long started)
    {
        BpftimeMetrics.Track(loaded);
        BpftimeMetrics.LoadSucceeded(loaded.Name, loaded.EngineName, Stopwatch.GetElapsedTime(started));
        return loaded;
    }

    private static BpfObject LoadEmbeddedObject(EmbeddedObject embedded, BpfLoadOptions options)
    {
        var log = new LoadLog(options);
        var requested = EngineSelection.Requested(options, log);
        // Host-set .rodata needs the bytecode: native code without checks is verified again against the new bytes.
        if (requested is BpfLoadOptions.AutoEngine or BpfLoadOptions.AotEngine && options.ReadOnlyData is null && LinkFromMetadata(embedded, options) is { } linked)
        {
            log.NativeCodeLoaded(linked, embedded.NativeResource!);
            return linked;
        }
        return LoadEmbeddedBytecode(embedded, options, log, requested);
    }

    /// <summary>
    /// The embedded object read from its bytecode: its native code linked against the object as read, or
    /// the bytecode on an engine, with a log line saying why. Apart from LoadEmbeddedObject, so that a
    /// load linked from metadata never resolves what this path names (messages, the reader, the engines).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static BpfObject LoadEmbeddedBytecode(EmbeddedObject embedded, BpfLoadOptions options, LoadLog log, string requested)
    {
        var loaded = Create(embedded.Name, embedded.BytecodeResource, embedded.Bytecode, options);
        try
        {
            if (requested is BpfLoadOptions.AutoEngine or BpfLoadOptions.AotEngine)
            {
                var why = embedded.Native is null
                    ? $"no native object for {HostPlatform.NativeRuntimeIdentifier ?? "this platform"} was embedded"
                    : null;
                if (embedded.Native is not null)
                {
                    try
                    {
                        loaded.LinkNative(embedded.Native, embedded.NativeResource!, options.RequireVerification, options.RequireTermination);
                        log.NativeCodeLoaded(loaded, embedded.NativeResource!);
                        return loaded;
                    }
                    catch (BpfException error)
                    {
                        why = $"the native object {embedded.NativeResource} cannot be used: {error.Diagnostic.Code}: {error.Message}";
                        if (requested == BpfLoadOptions.AotEngine)
                        {
                            throw;
                        }
                    }
                }
                if (requested == BpfLoadOptions.AotEngine)
                {
                    throw BpfException.Create(DiagnosticCodes.EngineUnavailable,
                        $"engine 'aot' was asked for, but {why}; build for this runtime identifier, or choose auto, jit or interpreter", embedded.BytecodeResource);
                }
                BpftimeLog.NativeCodeFallback(log.Logger, embedded.Name, why!, DiagnosticCodes.NativeObjectFallback);
            }
            loaded.LoadOnEngine(requested, log, options.Engines ?? BpfEngines.Default, options);
            return loaded;
        }
        catch
        {
            loaded.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The embedded native code linked from its metadata alone, without reading the bytecode object
    /// (whose reader dominated start-up), when nothing of the bytecode could change the result: every
    /// map is global data (so no BTF-described value such as a spin lock, no program array, no inner
    /// map), and the metadata has every program asked for. Null sends the caller down the full path,
    /// which reads the bytecode and reports any failure exactly as before.
    /// </summary>
    private static BpfObject? LinkFromMetadata(EmbeddedObject embedded, BpfLoadOptions options)
    {
        if (embedded.Native is not { } native)
        {
            return null;
        }
        // Read once: the link below takes the object and metadata as read here.
        AotObjectFile read;
        try
        {
            read = AotLinker.Read(native, embedded.NativeResource);
        }
        catch (BpfException)
        {
            return null;
        }
        var metadata = read.LinkMetadata();
        // The reader's arrays: calls through the list interfaces load their types over each element type.
        var recorded = metadata?.ProgramArray;
        if (recorded is null || recorded.Length == 0)
        {
            return null;
        }
        var recordedMaps = metadata!.MapArray;
        foreach (var map in recordedMaps)
        {
            if (!map.IsGlobalData)
            {
                return null;
            }
        }
        var programs = options.Programs is null ? AllPrograms(recorded) : SelectedPrograms(recorded, options.Programs);
        if (programs is null)
        {
            return null;
        }
        var specs = new MapSpec[recordedMaps.Length];
        for (var i = 0; i < specs.Length; i++)
        {
            specs[i] = recordedMaps[i].ToMapSpec();
        }
        BpfMap[] maps;
        try
        {
            maps = BpfMapFactory.CreateArray(specs, embedded.NativeResource, maxMemory: options.MaxMapMemory);
        }
        catch (BpfException)
        {
            return null;
        }
        var engineOptions = new EngineOptions { OptimizationLevel = options.OptimizationLevel, TargetCpu = options.TargetCpu, ExecutionBudget = options.ExecutionBudget };
        var linked = new BpfObject(embedded.Name, embedded.BytecodeResource, new BpfObjectFile(embedded.BytecodeResource, ObjectKind.NativeCode, programs, specs), maps,
            options.Helpers ?? BpfHelperSets.Default(), engineOptions, embedded, options.Programs)
        {
            _contextTypes = options.ContextTypes,
        };
        try
        {
            linked.LinkNative(native, embedded.NativeResource!, options.RequireVerification, options.RequireTermination, read);
            return linked;
        }
        catch (BpfException)
        {
            linked.Dispose();
            return null;
        }
    }

    // Not Array.Empty: the framework's generic over the runtime's own value type is compiled at run time on every start.
#pragma warning disable CA1825
    private static readonly Instruction[] NoInstructions = new Instruction[0];
#pragma warning restore CA1825

    /// <summary>Every program the metadata records, as the object's programs (without instructions: the bytecode is not read).</summary>
    private static BpfProgramInfo[] AllPrograms(AotProgram[] recorded)
    {
        var programs = new BpfProgramInfo[recorded.Length];
        for (var i = 0; i < programs.Length; i++)
        {
            programs[i] = ProgramFromMetadata(recorded[i]);
        }
        return programs;
    }

    /// <summary>
    /// The programs <paramref name="wanted"/> names, or null when the metadata lacks one of them (or
    /// names none): the full path then reads the bytecode and reports it. Not inlined into
    /// LinkFromMetadata, so the common load (all programs) never resolves LINQ.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static BpfProgramInfo[]? SelectedPrograms(IReadOnlyList<AotProgram> recorded, IReadOnlyList<string> wanted)
    {
        var programs = recorded.Where(p => wanted.Contains(p.Name)).Select(ProgramFromMetadata).ToArray();
        return programs.Length != wanted.Count || programs.Length == 0 ? null : programs;
    }

    private static BpfProgramInfo ProgramFromMetadata(AotProgram program) =>
        new(program.Name, program.Section ?? "", ProgramSectionNames.Parse(program.Section ?? ""), NoInstructions);

    private BpfObject(string name, string? origin, BpfObjectFile linkedFrom, BpfMap[] maps, HelperTable helpers, EngineOptions engineOptions,
        EmbeddedObject embedded, IReadOnlyList<string>? selected)
        : this(name, origin, linkedFrom, maps, helpers, engineOptions)
    {
        _linkedFrom = linkedFrom;
        _file = null;
        _embedded = embedded;
        _selected = selected;
    }

    private static BpfObject LoadBytecode(string name, string? path, byte[] bytes, BpfLoadOptions options)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return Loaded(LoadBytecodeObject(name, path, bytes, options), started);
        }
        catch (BpfException error)
        {
            BpftimeMetrics.LoadFailed(name, error.Diagnostic.Code, Stopwatch.GetElapsedTime(started));
            throw;
        }
    }

    private static BpfObject LoadBytecodeObject(string name, string? path, byte[] bytes, BpfLoadOptions options)
    {
        var log = new LoadLog(options);
        var requested = EngineSelection.Requested(options, log);
        var registry = options.Engines ?? BpfEngines.Default;
        if (AotObjectFile.IsNativeObject(bytes))
        {
            return LoadNativeObject(name, path, bytes, options, log);
        }
        // Bytecode runs on an 'aot' engine only when the host registered one that compiles in memory (the tool does).
        if (requested == BpfLoadOptions.AotEngine && options.Engine.Equals(BpfLoadOptions.AotEngine, StringComparison.OrdinalIgnoreCase)
            && registry.Find(BpfLoadOptions.AotEngine) is null)
        {
            throw BpfException.Create(DiagnosticCodes.EngineUnavailable,
                "engine 'aot' runs only native code compiled at build time; use BpfObject.LoadEmbedded, or choose auto, jit or interpreter for bytecode", path ?? name);
        }
        if (requested == BpfLoadOptions.AotEngine && registry.Find(BpfLoadOptions.AotEngine) is null)
        {
            BpftimeLog.AotEnvironmentIgnored(log.Logger, name, BpfLoadOptions.EngineEnvironmentVariable);
        }
        var loaded = Create(name, path, bytes, options);
        try
        {
            loaded.LoadOnEngine(requested, log, registry, options);
            return loaded;
        }
        catch
        {
            loaded.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A native object compiled ahead of time (bpftime compile): its maps are created from the layouts
    /// and initial values its metadata records, and the runtime's linker checks and binds it.
    /// </summary>
    private static BpfObject LoadNativeObject(string name, string? path, byte[] bytes, BpfLoadOptions options, LoadLog log)
    {
        var metadata = AotLinker.ReadMetadata(bytes, path);
        IReadOnlyList<MapSpec> specs = metadata is null ? [] : metadata.Maps.Select(map => map.ToMapSpec()).ToList();
        specs = options.ReadOnlyData?.ApplyTo(specs, path ?? name) ?? specs;
        var programs = metadata is null
            ? AotObjectFile.Read(bytes, path).Symbols.Where(s => s.IsGlobal && s.IsFunction && !s.IsUndefined)
                .Select(s => new BpfProgramInfo(s.Name, ".text", ProgramType.Unspecified, []))
                .ToList()
            : metadata.Programs.Select(p => new BpfProgramInfo(p.Name, p.Section ?? "", ProgramSectionNames.Parse(p.Section ?? ""), [])).ToList();
        var file = new BpfObjectFile(path, ObjectKind.NativeCode, programs, specs);
        var maps = BpfMapFactory.CreateArray(specs, path, maxMemory: options.MaxMapMemory);
        var engineOptions = new EngineOptions { OptimizationLevel = options.OptimizationLevel, TargetCpu = options.TargetCpu, ExecutionBudget = options.ExecutionBudget };
        var loaded = new BpfObject(name, path, file, maps, options.Helpers ?? BpfHelperSets.Default(), engineOptions)
        {
            _contextTypes = options.ContextTypes,
            _hostReadOnlyData = options.ReadOnlyData is not null,
        };
        try
        {
            loaded.LinkNative(bytes, path ?? name, options.RequireVerification, options.RequireTermination);
            log.NativeCodeLoaded(loaded, path ?? name);
            return loaded;
        }
        catch
        {
            loaded.Dispose();
            throw;
        }
    }

    private static BpfObject Create(string name, string? origin, byte[] bytes, BpfLoadOptions options)
    {
        var file = SelectPrograms(ObjectReader.Read(bytes, origin), options.Programs, origin);
        if (file.Programs.Count == 0)
        {
            throw BpfException.Create(DiagnosticCodes.ObjectHasNoPrograms, "the object has no program (no executable section with a function)", origin);
        }
        if (options.ReadOnlyData is { } readOnlyData)
        {
            // The verifier reads the maps of the file: the new bytes are its constants as well as the maps' contents.
            file = file with { Maps = readOnlyData.ApplyTo(file.Maps, origin) };
        }
        var maps = BpfMapFactory.CreateArray(file.Maps, origin, file.Btf, options.MaxMapMemory);
        var engineOptions = new EngineOptions { OptimizationLevel = options.OptimizationLevel, TargetCpu = options.TargetCpu, ExecutionBudget = options.ExecutionBudget };
        return new BpfObject(name, origin, file, maps, options.Helpers ?? BpfHelperSets.Default(), engineOptions)
        {
            _contextTypes = options.ContextTypes,
            _hostReadOnlyData = options.ReadOnlyData is not null,
        };
    }

    /// <summary>The object with only the programs <paramref name="names"/> lists (all when null); an unknown name is an error that lists the real ones.</summary>
    private static BpfObjectFile SelectPrograms(BpfObjectFile file, IReadOnlyList<string>? names, string? origin)
    {
        if (names is null)
        {
            return file;
        }
        var missing = names.Where(name => file.FindProgram(name) is null).ToList();
        if (missing.Count > 0)
        {
            throw BpfException.Create(DiagnosticCodes.NameNotFound,
                $"BpfLoadOptions.Programs names {string.Join(", ", missing)}, which the object does not have; it has: {string.Join(", ", file.Programs.Select(p => p.Name))}", origin);
        }
        return file with { Programs = [.. file.Programs.Where(p => names.Contains(p.Name))] };
    }

    /// <summary>Runs every program on the first engine of the policy that takes them all.</summary>
    private void LoadOnEngine(string requested, LoadLog log, EngineRegistry registry, BpfLoadOptions options)
    {
        var candidates = EngineSelection.BytecodeCandidates(requested, registry, Origin);
        var prepared = Prepare(options, log);
        var engineOptions = _engineOptions;
        BpfException? last = null;
        foreach (var engine in candidates)
        {
            var executables = new List<IBpfExecutable>();
            try
            {
                foreach (var (program, code, verdict) in prepared)
                {
                    var image = new ProgramImage(program.Name, code, Helpers) { Maps = _maps, Origin = Origin, SocketBuffer = verdict.Context.Kind == BpfContextKind.SocketBuffer };
                    if (verdict.Result is { Passed: true } result)
                    {
                        image = image.WithVerification(result);
                    }
                    executables.Add(engine.Load(image, engineOptions));
                }
            }
            catch (BpfException error) when (candidates.Count > 1)
            {
                foreach (var executable in executables)
                {
                    executable.Dispose();
                }
                last = error;
                BpftimeLog.EngineRefused(log.Logger, Name, engine.Name, error.Diagnostic.Code, error.Message);
                continue;
            }
            var programs = new LinkedProgram[executables.Count];
            for (var i = 0; i < programs.Length; i++)
            {
                Own(executables[i]);
                programs[i] = new LinkedProgram(prepared[i].Program, executables[i], prepared[i].Verdict);
            }
            SetPrograms(programs, engine.Name, native: false);
            log.BytecodeLoaded(this, engine.Name);
            return;
        }
        throw last ?? BpfException.Create(DiagnosticCodes.EngineUnavailable, "no engine could load the object", Origin);
    }

    /// <summary>
    /// Each program's code (CO-RE fixed up for the host's context types) and, unless verification is
    /// off, the verifier's verdict on exactly that code. Refused programs run checked with a log line
    /// saying why; with RequireVerification the load fails with every refused program's diagnostics.
    /// </summary>
    private List<(BpfProgramInfo Program, Instruction[] Code, ProgramVerdict Verdict)> Prepare(BpfLoadOptions options, LoadLog log)
    {
        var prepared = new List<(BpfProgramInfo, Instruction[], ProgramVerdict)>();
        var refused = new List<BpfDiagnostic>();
        if (!options.Verify)
        {
            BpftimeLog.VerificationOff(log.Logger, Name);
        }
        foreach (var program in File.Programs)
        {
            var code = CoreRelocator.Apply(program, File.Btf, _contextTypes, Origin);
            var context = LoadVerification.ContextFor(program, File.Btf, options);
            if (!options.Verify)
            {
                prepared.Add((program, code, new ProgramVerdict(false, null, context)));
                continue;
            }
            var verifierOptions = LoadVerification.OptionsFor(context, Helpers, options.ContextTypes, options.RequireTermination);
            var result = BpfVerifier.Verify(program with { Instructions = code }, File.Maps, verifierOptions, Origin);
            if (!result.Passed)
            {
                // A loop not proven to end is refused outright when the host asked for proven termination.
                if (options.RequireVerification || (options.RequireTermination && result.Errors.Any(e => e.Code == DiagnosticCodes.VerifierTerminationNotProven)))
                {
                    refused.AddRange(result.Errors);
                    BpftimeMetrics.Verdict(Name, program.Name, BpftimeMetrics.Refused);
                }
                else
                {
                    var reason = result.Errors.FirstOrDefault() ?? result.Diagnostics.FirstOrDefault();
                    BpftimeLog.RunsChecked(log.Logger, Name, program.Name, reason?.ToCanonicalString() ?? "no reason given");
                    BpftimeMetrics.Verdict(Name, program.Name, BpftimeMetrics.Checked);
                }
            }
            else
            {
                BpftimeMetrics.Verdict(Name, program.Name, BpftimeMetrics.Accepted);
                if (!result.TerminationProven)
                {
                    BpftimeLog.TerminationNotProven(log.Logger, Name, program.Name, UnprovenLoopReport.Describe(result, program),
                        options.ExecutionBudget.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
                }
            }
            prepared.Add((program, code, new ProgramVerdict(result.Passed, result, LoadVerification.ContextFor(program, File.Btf, options, result.Passed))
            {
                TerminationProven = result.Passed && result.TerminationProven,
            }));
        }
        if (refused.Count > 0)
        {
            throw new BpfException(refused);
        }
        return prepared;
    }

    internal string VerifiedSummary()
    {
        int verified = 0, trusted = 0;
        var programs = LoadedPrograms;
        foreach (var program in programs)
        {
            verified += program.IsVerified ? 1 : 0;
            trusted += program.IsTrustedUnchecked ? 1 : 0;
        }
        var summary = verified == programs.Length ? "all verified" : $"{verified} verified, {programs.Length - verified - trusted} with run-time checks";
        return trusted == 0 ? summary : $"{summary}, {trusted} trusted unchecked (not proved)";
    }

    private void LinkNative(byte[] native, string resource, bool requireVerification, bool requireTermination, AotObjectFile? read = null)
    {
        var linked = NativeLinking.Link(native, resource, _linkedFrom ?? File, _maps, Helpers, this, _engineOptions.ExecutionBudget, _hostReadOnlyData, requireTermination, read);
        if (requireTermination || requireVerification)
        {
            CheckRequirements(linked, resource, requireVerification, requireTermination);
        }
        SetPrograms(linked, BpfLoadOptions.AotEngine, native: true);
    }

    // Kept out of LinkNative, which every embedded load runs: precompiled code resolves what a method uses
    // (here LINQ over tuples) before its first run, and these checks are off unless the options ask.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CheckRequirements(LinkedProgram[] linked, string resource,
        bool requireVerification, bool requireTermination)
    {
        if (requireTermination && linked.FirstOrDefault(p => p.Verdict.IsVerified && !p.Verdict.TerminationProven) is { Program: not null } unbounded)
        {
            throw BpfException.Create(DiagnosticCodes.NativeProgramTerminationNotProven,
                $"proven termination is required, but the build verified program '{unbounded.Program.Name}' without proof that its loops end (its native code runs under the execution budget); bound the loops so the verifier can prove they end, or load without BpfLoadOptions.RequireTermination",
                resource, unbounded.Program.Name);
        }
        if (requireVerification && linked.FirstOrDefault(p => !p.Verdict.IsVerified) is { Program: not null } unverified)
        {
            // Only a proof counts: code the user trusted unchecked is refused like code nothing verified.
            throw unverified.Verdict.IsTrustedUnchecked
                ? BpfException.Create(DiagnosticCodes.NativeProgramTrustedNotProved,
                    $"verification is required, but the native code of program '{unverified.Program.Name}' runs without run-time memory checks that no verifier proved safe (it was compiled with memory checks off: MemoryChecks=off, or bpftime compile --memory-checks off); build it with Verify=true and MemoryChecks=auto",
                    resource, unverified.Program.Name)
                : BpfException.Create(DiagnosticCodes.NativeProgramNotVerified,
                    $"verification is required, but the native code of program '{unverified.Program.Name}' was compiled with run-time memory checks (the build did not verify it); build it with Verify=true", resource, unverified.Program.Name);
        }
    }

    private void SetPrograms(LinkedProgram[] programs, string engineName, bool native)
    {
        var loaded = new BpfProgram[programs.Length];
        var names = new string[programs.Length];
        var hasProgramArray = false;
        for (var i = 0; i < programs.Length; i++)
        {
            var program = programs[i].Program;
            loaded[i] = new BpfProgram(this, program.Name, program.Section, programs[i].Executable, programs[i].Verdict) { MayTailCall = MayTailCall(program) };
            names[i] = program.Name;
        }
        _programNames = names;
        _loadedPrograms = loaded;
        EngineName = engineName;
        IsNativeCode = native;
        // The programs were verified against the read-only data's bytes: from here on the host may only read it.
        foreach (var map in _maps)
        {
            if (map is ArrayMap { Spec.IsGlobalData: true, IsReadOnlyForPrograms: true } readOnlyData)
            {
                readOnlyData.Freeze();
            }
            hasProgramArray |= map.Spec.Type == MapType.ProgArray;
        }
        if (hasProgramArray)
        {
            FillProgramArrays(loaded);
        }
    }

    /// <summary>
    /// A program array's values name programs by their index in the object; each must fit every caller's
    /// context. Apart from SetPrograms, so that objects without one never load the program array's types.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void FillProgramArrays(BpfProgram[] loaded)
    {
        foreach (var map in _maps)
        {
            if (map is not ProgramArrayMap programArray)
            {
                continue;
            }
            programArray.ProgramResolver = index =>
            {
                if (index >= (uint)loaded.Length)
                {
                    return null;
                }
                CheckTailCallTarget(loaded[(int)index]);
                return loaded[(int)index].Executable;
            };
            // libbpf fills the slots the declaration's .values names; a program the load left out stays out.
            foreach (var slot in programArray.Spec.InitialSlots)
            {
                if (slot.Refusal is { } refusal)
                {
                    throw BpfException.Create(DiagnosticCodes.MapSlotInitialiserInvalid, refusal, Name);
                }
                if (Array.Find(loaded, p => p.Name == slot.Target) is { } target)
                {
                    CheckTailCallTarget(target);
                    programArray.Set(slot.Index, target.Executable);
                }
            }
        }
    }

    /// <summary>Takes ownership of <paramref name="resource"/>: disposed with the object, after what was owned later, before the maps.</summary>
    internal void Own(IDisposable resource)
    {
        if (_owned is null || _ownedCount == _owned.Length)
        {
            var grown = new IDisposable[Math.Max(2, _ownedCount * 2)];
            if (_owned is not null)
            {
                Array.Copy(_owned, grown, _ownedCount);
            }
            _owned = grown;
        }
        _owned[_ownedCount++] = resource;
    }

    /// <summary>Refuses <paramref name="target"/> as a tail-call target when a program of this object that may tail-call could enter it with a context it was not proved for.</summary>
    internal void CheckTailCallTarget(BpfProgram target)
    {
        // By index: tail calls run this, and a view over the values is an allocation each time.
        foreach (var caller in LoadedPrograms)
        {
            caller.CheckTailCallTarget(target);
        }
    }

    /// <summary>Whether the code calls bpf_tail_call or helpers by register; without the instructions (native objects), assume it may.</summary>
    private static bool MayTailCall(BpfProgramInfo program)
    {
        // Native code linked from its metadata has no instructions: an array test first, since a call
        // through the list interface on an array of them is compiled at run time.
        if (program.Instructions is Instruction[] { Length: 0 } || program.Instructions.Count == 0)
        {
            return true;
        }
        var code = program.ToArray();
        foreach (var instruction in code)
        {
            if ((instruction.Opcode == Opcodes.Call && instruction.Src == 0 && instruction.Imm == HelperIds.TailCall)
                || instruction.Opcode == (Opcodes.Call | (byte)OperandSource.Register))
            {
                return true;
            }
        }
        return false;
    }

    private static string NameFromPath(string path)
    {
        var fileName = Path.GetFileName(path);
        foreach (var suffix in new[] { ".bpf.o", ".o" })
        {
            if (fileName.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) && fileName.Length > suffix.Length)
            {
                return fileName[..^suffix.Length];
            }
        }
        return fileName;
    }

    public void Dispose()
    {
        if (IsDisposed)
        {
            return;
        }
        IsDisposed = true;
        BpftimeMetrics.Untrack(this);
        // Code first (it refers to the maps), then the maps.
        for (var i = _ownedCount - 1; i >= 0; i--)
        {
            _owned![i].Dispose();
            _owned[i] = null!;
        }
        _ownedCount = 0;
        foreach (var map in _maps)
        {
            map.Dispose();
        }
    }

    void IRunCounts.AddRunCounts(RunCounts runs)
    {
        foreach (var program in LoadedPrograms)
        {
            runs.Add(program.RunCount, Name, program.Name, program.EngineName);
        }
    }

    public override string ToString() => $"{Name}: {LoadedPrograms.Length} program(s) on {EngineName}, {_maps.Length} map(s)";
}
