using Bpftime.Diagnostics;
using Bpftime.Isa;
using Bpftime.Objects;
using Bpftime.Verification;

namespace Bpftime.Tool.Build;

/// <summary>
/// What a program must pass before native code is made from it: the structural validator always
/// (every slot defined, jumps in range, ld_imm64 whole, no fall off the end), the helper set, and,
/// with Verify (the default), the verifier's safety proof against the object's maps, the helper set
/// and the program's context (xdp_md for XDP, else raw memory of the item's ContextSize). Findings
/// carry the program and instruction index, which the builder turns into C source positions.
/// </summary>
internal static class ProgramChecks
{
    /// <summary>The findings, and whether the verifier proved the program safe (false when it did not run).</summary>
    public static (IReadOnlyList<BpfDiagnostic> Diagnostics, bool Verified) Check(BuildItem item, BpfObjectFile file, BpfProgramInfo program, HelperLookup helpers)
    {
        var instructions = program.ToArray();
        var options = ValidationOptions.Default with { AllowCallx = true };
        var diagnostics = ProgramValidator.Validate(instructions, options, program.Name).ToList();
        if (diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error))
        {
            return (diagnostics, false);
        }
        diagnostics.AddRange(helpers.CheckCalls(item, program, instructions));
        if (!item.Verify || diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error))
        {
            return (diagnostics, false);
        }
        var verifierOptions = new VerifierOptions
        {
            Helpers = helpers.Table,
            ContextSize = item.ContextSize,
            // The app runs every non-XDP program on raw memory, whatever its section says.
            Context = program.Type == ProgramType.Xdp ? null : ContextLayout.RawMemory(item.ContextSize),
            // The app may pass any length in r2; only the first ContextSize bytes are promised.
            VariableContextLength = true,
            // Unreachable code is clang's business; a warning for it would fail builds with TreatWarningsAsErrors.
            WarnUnreachable = false,
        };
        var result = BpfVerifier.Verify(program, file.Maps, verifierOptions, item.Source);
        diagnostics.AddRange(result.Errors);
        return (diagnostics, result.Passed);
    }
}
