namespace Bpftime.Engines.Interpreter;

/// <summary>
/// Chooses at JIT time whether the run loop checks memory: the loop is generic over a struct mode,
/// so the verified instantiation carries no trace of the checks.
/// </summary>
internal interface IExecutionMode
{
    static abstract bool ChecksMemory { get; }

    /// <summary>Whether back-edges, local calls and callbacks spend the execution budget.</summary>
    static abstract bool CountsBudget { get; }
}

/// <summary>Unverified programs: every load, store and atomic is checked.</summary>
internal readonly struct CheckedMode : IExecutionMode
{
    public static bool ChecksMemory => true;
    public static bool CountsBudget => true;
}

/// <summary>Verified programs: the verifier already proved every access safe and every loop finite.</summary>
internal readonly struct TrustedMode : IExecutionMode
{
    public static bool ChecksMemory => false;
    public static bool CountsBudget => false;
}

/// <summary>
/// Verified programs whose termination was not proven: memory unchecked (proved safe), but every
/// back-edge, local call and callback is counted so that a loop that never ends still stops.
/// </summary>
internal readonly struct CountedMode : IExecutionMode
{
    public static bool ChecksMemory => false;
    public static bool CountsBudget => true;
}
