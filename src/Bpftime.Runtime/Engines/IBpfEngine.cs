using Bpftime.Execution;

namespace Bpftime.Engines;

/// <summary>
/// One way of running eBPF. Every engine must give the same r0 and the same map effects as the
/// interpreter for the same program and input.
/// </summary>
public interface IBpfEngine
{
    /// <summary>The name users type: interpreter, jit, llvm-jit, aot.</summary>
    string Name { get; }

    string Description { get; }

    /// <summary>Whether the engine can run here (CPU, libraries); when not, why and what to do.</summary>
    bool IsAvailable(out string? reason);

    /// <summary>Prepares the program; throws <see cref="Diagnostics.BpfException"/> when it cannot.</summary>
    IBpfExecutable Load(ProgramImage program, EngineOptions options);
}
