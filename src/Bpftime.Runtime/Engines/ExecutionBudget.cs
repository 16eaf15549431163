using System.Globalization;
using Bpftime.Diagnostics;

namespace Bpftime.Engines;

/// <summary>
/// The fault every engine raises when a run that counts spends its <see cref="EngineOptions.ExecutionBudget"/>:
/// one unit per backward jump taken, local call and callback invocation, shared by the callbacks the
/// run's helpers start. Unverified runs count, and so do verified programs whose termination the
/// verifier did not prove (<see cref="ProgramImage.TerminationProven"/> false; memory stays unchecked);
/// programs proved to terminate carry no counter.
/// </summary>
public static class ExecutionBudget
{
    /// <summary>The BPF4016 fault for a run that spent <paramref name="budget"/>.</summary>
    public static BpfException Exhausted(long budget, string? origin, string? program, int? instruction) =>
        BpfException.Create(DiagnosticCodes.ExecutionBudgetExhausted, Message(budget), origin, program, instruction);

    /// <summary>What BPF4016 says: what happened and the two ways out.</summary>
    public static string Message(long budget) =>
        $"the program ran more than {budget.ToString("N0", CultureInfo.InvariantCulture)} backward jumps, local calls and callbacks without finishing; it may loop for ever; " +
        "raise the budget (EngineOptions.ExecutionBudget, BpfLoadOptions.ExecutionBudget, bpftime run --budget N) or give the loop a bound the verifier can prove";
}
