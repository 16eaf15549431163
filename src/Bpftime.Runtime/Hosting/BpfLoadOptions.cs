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

    /// <summary>The engines to choose from; <see cref="BpfEngines.Default"/> when null.</summary>
    public EngineRegistry? Engines { get; init; }

    /// <summary>Receives one line per decision (which engine, and why a fallback happened).</summary>
    public ILogger? Logger { get; init; }

    /// <summary>Receives the same lines as <see cref="Logger"/>, for hosts without Microsoft.Extensions.Logging.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Reads $BPFTIME_ENGINE when true (the default); tests turn it off to stay deterministic.</summary>
    public bool ReadEnvironment { get; init; } = true;
}
