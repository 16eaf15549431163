namespace Bpftime.Engines;

/// <summary>How an engine should compile: optimisation level (LLVM engines), target CPU, and the execution budget of code not proved to end.</summary>
public sealed record EngineOptions
{
    /// <summary>
    /// The default <see cref="ExecutionBudget"/>: 50 million back-edges, local calls and callback
    /// invocations per run. Far beyond the conformance suite and the benchmark kernels, and a looping
    /// program is stopped within about 0.1 s on the jit and llvm-jit and a few seconds on the interpreter.
    /// </summary>
    public const long DefaultExecutionBudget = 50_000_000;

    private readonly long _executionBudget = DefaultExecutionBudget;

    public static EngineOptions Default { get; } = new();

    /// <summary>0 to 3, as -O0..-O3.</summary>
    public int OptimizationLevel { get; init; } = 3;

    /// <summary>"generic" for portable code, "native" for the host CPU, or an LLVM CPU name.</summary>
    public string TargetCpu { get; init; } = "generic";

    /// <summary>
    /// How many backward jumps, local calls and callback invocations one run of an unverified program,
    /// or of a verified one whose termination was not proven (<see cref="ProgramImage.TerminationProven"/>),
    /// may take, callbacks its helpers start included; the next one ends the run with BPF4016 and the
    /// thread gets control back. Verified programs proved to terminate run without the counter.
    /// At least 1.
    /// </summary>
    public long ExecutionBudget
    {
        get => _executionBudget;
        init
        {
            if (value < 1)
            {
                ThrowBudgetOutOfRange(value);
            }
            _executionBudget = value;
        }
    }

    // Apart from the setter, which every load runs: the generic range check loads the framework's number interfaces.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void ThrowBudgetOutOfRange(long value) => ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
}
