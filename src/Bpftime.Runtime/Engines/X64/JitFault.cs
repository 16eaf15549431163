namespace Bpftime.Engines.X64;

/// <summary>Why generated code left early; written into <see cref="RunState"/> by the fault stubs.</summary>
internal enum JitFault
{
    None = 0,
    OutOfBounds = 1,
    ReadOnly = 2,
    CallDepth = 3,
    UnknownHelper = 4,
    FellOffEnd = 5,
    /// <summary>A helper (or a callback it ran) threw; the exception waits in the executable.</summary>
    HelperFailed = 6,
    Misaligned = 7,
    /// <summary>The run spent its execution budget (checked code only).</summary>
    BudgetExhausted = 8,
}
