namespace Bpftime.Engines;

/// <summary>How an engine should compile: optimisation level (LLVM engines) and target CPU.</summary>
public sealed record EngineOptions
{
    public static EngineOptions Default { get; } = new();

    /// <summary>0 to 3, as -O0..-O3.</summary>
    public int OptimizationLevel { get; init; } = 3;

    /// <summary>"generic" for portable code, "native" for the host CPU, or an LLVM CPU name.</summary>
    public string TargetCpu { get; init; } = "generic";
}
