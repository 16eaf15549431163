namespace Bpftime.Compiler.IrGen;

/// <summary>What translating one program found out: its symbol, frame and what it reaches outside itself.</summary>
public sealed record IrProgramInfo(
    string Name,
    string Symbol,
    int StackSize,
    int CallDepth,
    IReadOnlyList<int> HelperIds,
    IReadOnlyList<int> MapIndexes,
    bool UsesHelperById,
    int FunctionCount)
{
    /// <summary>How many functions the program takes the address of (ld_imm64 src 4).</summary>
    public int CallbackCount { get; init; }

    /// <summary>Maps whose value address the program loads (ld_imm64 src 2/6): they need a direct value address.</summary>
    public IReadOnlyList<int> MapValueIndexes { get; init; } = [];

    /// <summary>Whether the program may tail call (helper <see cref="IrGenerator.TailCallHelperId"/>, directly or by callx).</summary>
    public bool UsesTailCalls { get; init; }
}
