using Bpftime.Diagnostics;
using Bpftime.Isa;

namespace Bpftime.Tests.Isa;

public class ConformanceValidationTests
{
    private static readonly ValidationOptions WithCallx = new() { AllowCallx = true };

    /// <summary>
    /// Vectors that are negative for the suite's runner, not for a loader: the program is well-formed,
    /// and the runner fails because the outcome differs from the file's expectation
    /// (error.data expects a refusal of a valid program; the other expects a wrong r0).
    /// </summary>
    private static readonly HashSet<string> RunnerLevelNegatives = ["error", "incorrect_return_value_high_bits"];

    [SkippableTheory]
    [MemberData(nameof(ConformanceVectors.TestFiles), MemberType = typeof(ConformanceVectors))]
    public void EveryTestFileAssemblesAndValidates(string name)
    {
        Skip.If(name == ConformanceVectors.Absent || TestPaths.ConformanceDirectory is null, ConformanceVectors.SkipReason);
        var file = ConformanceVectors.Load("tests", name);
        Assert.NotNull(file.ExpectedResult);
        Assert.Null(file.ExpectedError);
        var program = file.Program();
        Assert.Empty(ProgramValidator.Validate(program, WithCallx, name));

        // Without callx only the files that use it are refused, and for that reason alone.
        var strict = ProgramValidator.Validate(program, programName: name);
        Assert.All(strict, d => Assert.Equal(DiagnosticCodes.CallxNotAllowed, d.Code));
        Assert.Equal(program.Any(i => i.Opcode == Opcodes.CallRegister), strict.Count > 0);
    }

    [SkippableTheory]
    [MemberData(nameof(ConformanceVectors.NegativeFiles), MemberType = typeof(ConformanceVectors))]
    public void EveryNegativeVectorIsRefused(string name)
    {
        Skip.If(name == ConformanceVectors.Absent || TestPaths.ConformanceDirectory is null, ConformanceVectors.SkipReason);
        var file = ConformanceVectors.Load("negative", name);
        Instruction[] program;
        try
        {
            program = file.Program();
        }
        catch (BpfException refused)
        {
            Assert.DoesNotContain(name, RunnerLevelNegatives);
            Assert.StartsWith("BPF11", refused.Code, StringComparison.Ordinal);
            Assert.Matches(@"^line \d+: ", refused.Message);
            // The suite's expected text, where it names the assembler's complaint, is part of ours.
            if (!string.IsNullOrEmpty(file.ExpectedError) && file.HasProgram)
            {
                Assert.Contains(file.ExpectedError, refused.Message, StringComparison.OrdinalIgnoreCase);
            }
            return;
        }

        var diagnostics = ProgramValidator.Validate(program, WithCallx, name);
        if (RunnerLevelNegatives.Contains(name))
        {
            Assert.Empty(diagnostics);
            Assert.True(file.ExpectedError is not null || file.ExpectedResult is not null);
            return;
        }
        Assert.NotEmpty(diagnostics);
        Assert.All(diagnostics, d => Assert.NotNull(d.InstructionIndex));
        var error = Assert.Throws<BpfException>(() => ProgramValidator.EnsureValid(program, WithCallx, name));
        Assert.Equal(diagnostics.Count, error.Diagnostics.Count);
        if (name.StartsWith("unused-", StringComparison.Ordinal))
        {
            var diagnostic = Assert.Single(diagnostics);
            Assert.Equal(0, diagnostic.InstructionIndex);
            if (name.StartsWith("unused-mov", StringComparison.Ordinal) && name.EndsWith("reg-offset", StringComparison.Ordinal))
            {
                // A register mov with an offset reads as a movsx of an impossible width.
                Assert.Equal(DiagnosticCodes.InvalidSignExtendWidth, diagnostic.Code);
                Assert.Contains("or 0 for a plain mov", diagnostic.Message, StringComparison.Ordinal);
            }
            else
            {
                Assert.Equal(DiagnosticCodes.UnusedFieldNotZero, diagnostic.Code);
                Assert.Contains("must be 0", diagnostic.Message, StringComparison.Ordinal);
            }
        }
        else
        {
            // The empty files: nothing to run.
            Assert.False(file.HasProgram);
            Assert.Equal(DiagnosticCodes.EmptyProgram, Assert.Single(diagnostics).Code);
        }
    }
}
