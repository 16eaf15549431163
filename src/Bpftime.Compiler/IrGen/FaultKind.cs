namespace Bpftime.Compiler.IrGen;

/// <summary>Why checked code stopped early, as stored in the run state.</summary>
public enum FaultKind
{
    None = Engines.Aot.AotCheckedAbi.FaultNone,
    OutOfBounds = Engines.Aot.AotCheckedAbi.FaultOutOfBounds,
    ReadOnly = Engines.Aot.AotCheckedAbi.FaultReadOnly,
    UnknownHelper = Engines.Aot.AotCheckedAbi.FaultUnknownHelper,
    BudgetExhausted = Engines.Aot.AotCheckedAbi.FaultBudgetExhausted,
}
