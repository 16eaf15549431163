using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.Interpreter;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa.Conformance;
using Bpftime.Tests.Conformance;
using Bpftime.Verification;
using Xunit.Abstractions;

namespace Bpftime.Tests.Verification;

/// <summary>
/// The conformance vectors, verified with a context of their memory's size: every program the
/// verifier accepts runs to its expected result on the interpreter marked verified (no run-time
/// checks), and a vector that expects a refusal is never accepted.
/// </summary>
public sealed class ConformanceVerificationTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void AcceptedVectorsRunCorrectlyWithoutRunTimeChecks()
    {
        var directory = ConformanceCases.TestsDirectory;
        Skip.If(directory is null, ConformanceCases.SkipReason);
        var verdicts = new Dictionary<string, int>();
        var accepted = 0;
        foreach (var path in Directory.EnumerateFiles(directory!, "*.data").Order(StringComparer.Ordinal))
        {
            var vector = ConformanceFile.Load(path);
            if (!vector.HasProgram)
            {
                continue;
            }
            Bpftime.Isa.Instruction[] program;
            try
            {
                program = vector.Program();
            }
            catch (BpfException)
            {
                continue;
            }
            var options = new VerifierOptions { ContextSize = vector.Memory.Length, Helpers = ConformanceHelpers.Create() };
            var result = BpfVerifier.Verify(program, [], options, name: vector.Name);
            var key = result.Passed ? "safe" : result.Diagnostics[0].Code;
            verdicts[key] = verdicts.GetValueOrDefault(key) + 1;
            if (!result.Passed)
            {
                continue;
            }
            Assert.True(vector.ExpectedError is null, $"{vector.Name} expects a refusal ({vector.ExpectedError}) but the verifier accepted it");
            if (vector.ExpectedResult is not ulong expected)
            {
                continue;
            }
            var image = new ProgramImage(vector.Name, program, ConformanceHelpers.Create()).WithVerification(result);
            using var executable = InterpreterEngine.Instance.Load(image, EngineOptions.Default);
            var memory = (byte[])vector.Memory.Clone();
            Assert.Equal(expected, executable.Run(memory));
            accepted++;
        }
        output.WriteLine($"{accepted} accepted vectors ran verified; verdicts: " + string.Join(", ", verdicts.OrderBy(v => v.Key).Select(v => $"{v.Key} x{v.Value}")));
        Assert.True(accepted > 0);
    }
}
