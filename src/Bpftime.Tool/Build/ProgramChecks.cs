using Bpftime.Diagnostics;
using Bpftime.Isa;
using Bpftime.Objects;
using Bpftime.Verification;

namespace Bpftime.Tool.Build;

/// <summary>
/// What a program must pass before native code is made from it: the structural validator always
/// (every slot defined, jumps in range, ld_imm64 whole, no fall off the end), the helper set, and,
/// with Verify (the default), the verifier's safety proof against the object's maps, the helper set
/// and the program's context as the app's loader will run it (<see cref="ProgramContext"/>: xdp_md for XDP,
/// __sk_buff for socket filter and tc programs with legacy packet loads, else raw memory of the item's ContextSize). Findings
/// carry the program and instruction index, which the builder turns into C source positions.
/// </summary>
internal static class ProgramChecks
{
    /// <summary>
    /// The findings, whether the verifier proved the program safe (false when it did not run), and
    /// whether it proved every loop ends. A verified program with a loop it could not bound gets one
    /// info line per loop (BPF4187, at the loop's C line); with RequireTermination the verifier
    /// refuses it instead (BPF2039).
    /// </summary>
    public static (IReadOnlyList<BpfDiagnostic> Diagnostics, bool Verified, bool TerminationProven) Check(BuildItem item, BpfObjectFile file, BpfProgramInfo program, HelperLookup helpers)
    {
        var instructions = program.ToArray();
        var options = ValidationOptions.Default with { AllowCallx = true };
        var diagnostics = ProgramValidator.Validate(instructions, options, program.Name).ToList();
        if (diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error))
        {
            return (diagnostics, false, false);
        }
        diagnostics.AddRange(helpers.CheckCalls(item, program, instructions));
        if (!item.Verify || diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error))
        {
            return (diagnostics, false, false);
        }
        var verifierOptions = ProgramContext.For(program, item.ContextSize, item.MemoryWithLength).VerifierOptions(helpers.Table, item.RequireTermination);
        var result = BpfVerifier.Verify(program, file.Maps, verifierOptions, item.Source);
        diagnostics.AddRange(result.Errors);
        var terminationProven = result.Passed && result.TerminationProven;
        if (result.Passed && !result.TerminationProven)
        {
            diagnostics.AddRange(UnprovenLoops(item, program, result));
        }
        return (diagnostics, result.Passed, terminationProven);
    }

    /// <summary>Info lines for loops the verifier proved memory-safe but could not bound: each at its head, which the builder points at the C line.</summary>
    internal static IEnumerable<BpfDiagnostic> UnprovenLoops(BuildItem item, BpfProgramInfo program, VerificationResult result)
    {
        const string Advice = "it is verified (memory-safe) and runs under the execution budget (BpfLoadOptions.ExecutionBudget, 50,000,000 backward jumps, calls and callbacks by default); RequireTermination=true refuses such programs";
        if (result.UnprovenLoops.Count == 0)
        {
            yield return new BpfDiagnostic(DiagnosticCodes.ToolLoopRunsUnderBudget,
                $"program '{program.Name}': the verifier could not prove that a loop ends; {Advice}", DiagnosticSeverity.Info, File: item.Source, Program: program.Name);
            yield break;
        }
        foreach (var head in result.UnprovenLoops)
        {
            yield return new BpfDiagnostic(DiagnosticCodes.ToolLoopRunsUnderBudget,
                $"program '{program.Name}': the verifier could not prove that this loop (instruction {head}) ends; {Advice}",
                DiagnosticSeverity.Info, File: item.Source, Program: program.Name, InstructionIndex: head);
        }
    }
}
