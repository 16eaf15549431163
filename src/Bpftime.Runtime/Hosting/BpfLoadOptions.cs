using System.ComponentModel;
using Bpftime.Engines;
using Bpftime.Helpers;
using Microsoft.Extensions.Logging;

namespace Bpftime.Hosting;

/// <summary>How <see cref="BpfObject"/> loads an object: which engine, with which helpers, and where it reports its choices.</summary>
public sealed record BpfLoadOptions
{
    /// <summary>The environment variable that picks the engine when <see cref="Engine"/> is "auto": aot, jit, interpreter or auto.</summary>
    public const string EngineEnvironmentVariable = "BPFTIME_ENGINE";

    public const string AutoEngine = "auto";

    public const string AotEngine = "aot";

    public static BpfLoadOptions Default { get; } = new();

    /// <summary>
    /// "auto" (the default): the embedded native object when there is one and it links, else the jit,
    /// else the interpreter; $BPFTIME_ENGINE can narrow "auto". "aot" accepts the native object only;
    /// any other name runs the bytecode on that registered engine.
    /// </summary>
    public string Engine { get; init; } = AutoEngine;

    /// <summary>0 to 3 for engines that optimise at load time (LLVM JIT).</summary>
    public int OptimizationLevel { get; init; } = 3;

    /// <summary>"generic", "native" or an LLVM CPU name, for engines that compile at load time.</summary>
    public string TargetCpu { get; init; } = "generic";

    /// <summary>The helpers programs may call; <see cref="BpfHelperSets.Default"/> when null.</summary>
    public HelperTable? Helpers { get; init; }

    /// <summary>Context structs the host passes to programs: CO-RE field relocations on them are resolved against these layouts at load.</summary>
    public IReadOnlyList<BpfContextType>? ContextTypes { get; init; }

    /// <summary>
    /// Verifies every program of bytecode at load (the default). A program the verifier proves safe
    /// runs without run-time memory checks; one it refuses still runs, with checks, and a log line
    /// gives the first reason, unless <see cref="RequireVerification"/> is set. False skips the
    /// verifier: every program runs with checks.
    /// </summary>
    public bool Verify { get; init; } = true;

    /// <summary>
    /// Refuses to load an object any of whose programs the verifier refuses: the load throws a
    /// <see cref="Diagnostics.BpfException"/> carrying all BPF2xxx diagnostics. For native code, a
    /// program compiled with run-time checks (the build did not verify it) is refused with BPF4116.
    /// </summary>
    public bool RequireVerification { get; init; }

    /// <summary>
    /// Refuses programs whose loops the verifier could not prove to end, as Linux does: the verifier
    /// reports BPF2039 for them and the load throws with those diagnostics (whatever
    /// <see cref="RequireVerification"/> says), and native code whose metadata records a proof of
    /// memory safety without one of termination is refused with BPF4119. False (the default): such a
    /// program is still verified (memory-safe) and runs without memory checks, under the
    /// <see cref="ExecutionBudget"/>, and the load log names its loops.
    /// </summary>
    public bool RequireTermination { get; init; }

    /// <summary>
    /// Bytes of memory r1 points at for programs whose context is raw memory (socket, kprobe,
    /// unspecified, ...): the verifier allows accesses inside this many bytes, and a verified program
    /// must then be run with at least that much. Null (the default): unknown, so programs that read
    /// their context fail verification and run with checks. XDP programs and programs whose context
    /// struct is one of <see cref="ContextTypes"/> ignore it.
    /// </summary>
    public int? ContextSize { get; init; }

    /// <summary>
    /// The (mem, len) contract for programs whose context is raw memory (not XDP, not one of
    /// <see cref="ContextTypes"/>): r1 points at a buffer of any length, r2 is exactly that length, and
    /// the verifier accepts accesses it can prove fall inside r1[0, r2) (<see cref="BpfContextKind.MemoryWithLength"/>;
    /// <see cref="ContextSize"/> is then ignored). <c>Run(span)</c> passes the span's length; checked
    /// code bounds its accesses by it.
    /// </summary>
    public bool MemoryWithLength { get; init; }

    /// <summary>
    /// How many backward jumps, local calls and callback invocations one run of an unverified program
    /// may take (callbacks its helpers start included) before it ends with BPF4016 and the caller gets
    /// control back; <see cref="EngineOptions.DefaultExecutionBudget"/> (50 million) unless set. Checked
    /// code pays a decrement and a branch per backward jump and call, and so does verified code whose
    /// loops were not all proven to end (<see cref="BpfProgram.IsTerminationProven"/> false); verified
    /// programs proved to terminate run without the counter. Applies to bytecode and to native code alike.
    /// </summary>
    public long ExecutionBudget { get; init; } = EngineOptions.DefaultExecutionBudget;

    /// <summary>
    /// Which programs to load, by name; all when null. The build passes the <c>Programs</c> item
    /// metadata here, so native code and the bytecode fallback hold the same programs.
    /// </summary>
    public IReadOnlyList<string>? Programs { get; init; }

    /// <summary>
    /// New bytes for read-only global-data sections (.rodata), set before the load as libbpf allows
    /// between open and load: the sections are created with them and every program is verified against
    /// them, on every engine (native code compiled without run-time checks is verified again from the
    /// embedded bytecode, and is not used when the new bytes make it unsafe). Null: the bytes the
    /// object was compiled with. The load freezes the bytes (a later set throws BPF4134).
    /// </summary>
    public BpfReadOnlyData? ReadOnlyData { get; init; }

    /// <summary>The engines to choose from; <see cref="BpfEngines.Default"/> when null.</summary>
    public EngineRegistry? Engines { get; init; }

    /// <summary>
    /// The host's logging (as an ASP.NET Core or generic host's <c>ILoggerFactory</c>): the loader writes
    /// one message per decision (which engine, why a fallback or run-time checks) under the category
    /// <see cref="Diagnostics.BpftimeLog.Category"/>, with the event ids of <see cref="Diagnostics.BpftimeLog.Events"/>;
    /// fallbacks are warnings, expected choices information.
    /// </summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Receives the same messages as <see cref="LoggerFactory"/>'s logger, for a host that has one logger at hand.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>Receives the same messages as plain lines ("bpftime: ..."), for hosts without Microsoft.Extensions.Logging.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Reads $BPFTIME_ENGINE when true (the default); tests turn it off to stay deterministic.</summary>
    public bool ReadEnvironment { get; init; } = true;

    // Resource limits a loaded object must stay inside (see docs/security.md).

    /// <summary>The default of <see cref="MaxMapMemory"/>: 256 MiB.</summary>
    public const long DefaultMaxMapMemory = 256L << 20;

    /// <summary>
    /// Bytes all maps of one object may need together (values with every per-CPU copy, keys, index
    /// tables, ring buffers), computed from the map specs before anything is allocated; an object over
    /// it is refused with BPF4226 naming the largest map and the total. Default
    /// <see cref="DefaultMaxMapMemory"/> (256 MiB). Null: no limit per object (each map is still at
    /// most 4 GiB). 0: the object may have no map memory at all (global data counts).
    /// </summary>
    public long? MaxMapMemory { get; init; } = DefaultMaxMapMemory;

    /// <summary>
    /// The options a build-generated accessor (<c>Bpf.Name.Load</c>) loads with. With <paramref name="options"/>
    /// null: the item's own options (its engine, programs, helper set, context, termination rule and map
    /// memory), made on the first call and kept in the accessor's <paramref name="itemOptions"/>, so every
    /// load of that accessor shares one helper table as a static field would. Otherwise a copy of
    /// <paramref name="options"/> with the item's engine where it says "auto", and the item's programs,
    /// helper set and context where it leaves them unset; the item's (mem, len) contract and termination
    /// rule always apply. For generated code: the merge runs here, precompiled, so the accessor is one
    /// small method for the just-in-time compiler at the app's start.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static BpfLoadOptions ForBuildItem(BpfLoadOptions? options, ref BpfLoadOptions? itemOptions, string engine, string[]? programs, string? helperSet,
        int contextSize, bool memoryWithLength, bool requireTermination, bool setsMaxMapMemory, long? maxMapMemory)
    {
        var item = itemOptions;
        if (item is null)
        {
            // The first to publish wins, so every load shares one helper table even when threads race here.
            var made = ItemOptions(engine, programs, helperSet, contextSize, memoryWithLength, requireTermination, setsMaxMapMemory, maxMapMemory);
            item = Interlocked.CompareExchange(ref itemOptions, made, null) ?? made;
        }
        return options is null ? item : options with
        {
            Engine = options.Engine == AutoEngine ? item.Engine : options.Engine,
            Programs = options.Programs ?? item.Programs,
            Helpers = helperSet is null ? options.Helpers : options.Helpers ?? item.Helpers,
            MemoryWithLength = memoryWithLength || options.MemoryWithLength,
            ContextSize = !memoryWithLength && contextSize > 0 ? options.ContextSize ?? contextSize : options.ContextSize,
            RequireTermination = requireTermination || options.RequireTermination,
        };
    }

    private static BpfLoadOptions ItemOptions(string engine, string[]? programs, string? helperSet, int contextSize, bool memoryWithLength, bool requireTermination,
        bool setsMaxMapMemory, long? maxMapMemory)
        => new()
        {
            Engine = engine,
            Programs = programs,
            Helpers = helperSet is null ? null : BpfHelperSets.Find(helperSet),
            MemoryWithLength = memoryWithLength,
            ContextSize = !memoryWithLength && contextSize > 0 ? contextSize : null,
            RequireTermination = requireTermination,
            MaxMapMemory = setsMaxMapMemory ? maxMapMemory : DefaultMaxMapMemory,
        };
}
