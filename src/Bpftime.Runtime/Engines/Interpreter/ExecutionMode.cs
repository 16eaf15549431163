namespace Bpftime.Engines.Interpreter;

/// <summary>
/// Chooses at JIT time whether the run loop checks memory: the loop is generic over a struct mode,
/// so the verified instantiation carries no trace of the checks.
/// </summary>
internal interface IExecutionMode
{
    static abstract bool ChecksMemory { get; }
}

/// <summary>Unverified programs: every load, store and atomic is checked.</summary>
internal readonly struct CheckedMode : IExecutionMode
{
    public static bool ChecksMemory => true;
}

/// <summary>Verified programs: the verifier already proved every access safe.</summary>
internal readonly struct TrustedMode : IExecutionMode
{
    public static bool ChecksMemory => false;
}
