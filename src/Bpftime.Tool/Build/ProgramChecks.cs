using Bpftime.Diagnostics;
using Bpftime.Isa;
using Bpftime.Objects;

namespace Bpftime.Tool.Build;

/// <summary>
/// What a program must pass before native code is made from it: the structural validator always
/// (every slot defined, jumps in range, ld_imm64 whole, no fall off the end); with Verify, the
/// verifier's safety proof is the next step here. Findings carry the program and instruction
/// index, which the builder turns into C source positions.
/// </summary>
internal static class ProgramChecks
{
    public static IEnumerable<BpfDiagnostic> Check(BuildItem item, BpfProgramInfo program, HelperLookup helpers)
    {
        var instructions = program.ToArray();
        var options = ValidationOptions.Default with { AllowCallx = true };
        var diagnostics = ProgramValidator.Validate(instructions, options, program.Name).ToList();
        if (diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error))
        {
            return diagnostics;
        }
        diagnostics.AddRange(helpers.CheckCalls(item, program, instructions));
        // With Verify=true the verifier runs here once it exists; until then the validator's
        // structural checks and the helper check above are what the build enforces.
        return diagnostics;
    }
}
