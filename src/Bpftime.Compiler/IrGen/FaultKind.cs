namespace Bpftime.Compiler.IrGen;

/// <summary>Why checked code stopped early, as stored in the run state.</summary>
public enum FaultKind
{
    None = 0,
    OutOfBounds = 1,
    ReadOnly = 2,
    UnknownHelper = 3,
}
