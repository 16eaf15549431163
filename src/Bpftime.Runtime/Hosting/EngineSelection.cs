using Bpftime.Diagnostics;
using Bpftime.Engines;

namespace Bpftime.Hosting;

/// <summary>
/// Turns the options and $BPFTIME_ENGINE into the engines to try, in order. "auto" never picks an
/// engine that loads a compiler (llvm-jit): it is native code from the build, then the direct JIT,
/// then the interpreter.
/// </summary>
internal static class EngineSelection
{
    private static readonly string[] AutoBytecodeOrder = ["jit", "interpreter"];

    /// <summary>"auto", "aot", or the name of a bytecode engine.</summary>
    public static string Requested(BpfLoadOptions options, LoadLog log)
    {
        // The default name as it is needs no normalising (a case change sets up the culture's text data).
        var requested = options.Engine == BpfLoadOptions.AutoEngine || string.IsNullOrWhiteSpace(options.Engine) ? BpfLoadOptions.AutoEngine : options.Engine.Trim().ToLowerInvariant();
        if (requested == BpfLoadOptions.AutoEngine && options.ReadEnvironment)
        {
            var fromEnvironment = Environment.GetEnvironmentVariable(BpfLoadOptions.EngineEnvironmentVariable);
            // Unset is the common case: no call then.
            if (fromEnvironment is not null && !string.IsNullOrWhiteSpace(fromEnvironment))
            {
                requested = fromEnvironment.Trim().ToLowerInvariant();
                Diagnostics.BpftimeLog.EngineFromEnvironment(log.Logger, requested, BpfLoadOptions.EngineEnvironmentVariable);
            }
        }
        return requested;
    }

    /// <summary>The bytecode engines to try for <paramref name="requested"/> ("aot" and "auto" mean the automatic order here).</summary>
    public static IReadOnlyList<IBpfEngine> BytecodeCandidates(string requested, EngineRegistry registry, string? origin)
    {
        if (requested == BpfLoadOptions.AotEngine && registry.Find(BpfLoadOptions.AotEngine) is { } compiling)
        {
            return [compiling];
        }
        if (requested is BpfLoadOptions.AutoEngine or BpfLoadOptions.AotEngine)
        {
            var candidates = AutoBytecodeOrder
                .Select(registry.Find)
                .Where(engine => engine is not null && engine.IsAvailable(out _))
                .Select(engine => engine!)
                .ToList();
            if (candidates.Count == 0)
            {
                throw BpfException.Create(DiagnosticCodes.EngineUnavailable,
                    $"no engine can run bytecode here (tried {string.Join(", ", AutoBytecodeOrder)}; registered: {string.Join(", ", registry.Names)})", origin);
            }
            return candidates;
        }
        var named = registry.Find(requested) ?? throw BpfException.Create(DiagnosticCodes.UnknownEngine,
            $"no engine named '{requested}'; choose auto, aot, or one of: {string.Join(", ", registry.Names)}", origin);
        if (!named.IsAvailable(out var reason))
        {
            throw BpfException.Create(DiagnosticCodes.EngineUnavailable, $"engine '{named.Name}' cannot run here: {reason}", origin);
        }
        return [named];
    }
}
