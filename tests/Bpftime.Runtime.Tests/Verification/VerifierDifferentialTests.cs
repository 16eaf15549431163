using System.Diagnostics;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.Interpreter;
using Bpftime.Execution;
using Bpftime.Hosting;
using Bpftime.Isa;
using Bpftime.Objects;
using Bpftime.Verification;
using Xunit.Abstractions;

namespace Bpftime.Tests.Verification;

/// <summary>
/// The verifier checked against the run time: every program it accepts (random programs with maps
/// and helpers, and mutations of real objects) runs on the interpreter with its run-time memory checks
/// on (the image is not marked verified), over random contexts. A fault there means the verifier
/// accepted a program that is not safe. BPFTIME_VERIFIER_FUZZ_ITERATIONS runs a longer campaign,
/// BPFTIME_FUZZ_SEED another one.
/// </summary>
public sealed class VerifierDifferentialTests(ITestOutputHelper output)
{
    private const int ContextSize = 64;

    private static int Iterations(int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable("BPFTIME_VERIFIER_FUZZ_ITERATIONS"), out var n) && n > 0 ? n : fallback;

    private static int Seed(int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable("BPFTIME_FUZZ_SEED"), out var s) ? s : fallback;

    [Fact]
    public void AcceptedRandomProgramsWithMapsAndHelpersRunWithoutFaults()
    {
        var seed = Seed(5151);
        var random = new Random(seed);
        var helpers = BpfHelperSets.Default();
        var options = new VerifierOptions { ContextSize = ContextSize, Helpers = helpers, MaxProcessedInstructions = 20_000 };
        var generated = Iterations(3000);
        var accepted = 0;
        var withCalls = 0;
        var ran = 0;
        var clock = Stopwatch.StartNew();
        for (var n = 0; n < generated; n++)
        {
            var code = VerifierFuzzTests.RandomProgram(random, random.Next(2, 40));
            var result = BpfVerifier.Verify(code, VerifierKit.Maps, options, name: $"random #{n}");
            if (!result.Passed)
            {
                continue;
            }
            accepted++;
            withCalls += code.Any(i => i.IsCall || (i.IsLoadImm64 && i.Src != 0)) ? 1 : 0;
            ran += RunChecked(code, VerifierKit.Maps, helpers, random, $"random #{n} (seed {seed})", result) ? 1 : 0;
        }
        output.WriteLine($"{generated} random programs (seed {seed}): {accepted} accepted ({withCalls} with maps or helpers), {ran} loaded and ran checked without a fault, in {clock.ElapsedMilliseconds} ms");
        Assert.True(accepted >= generated / 50, $"only {accepted} of {generated} programs were accepted");
        Assert.True(withCalls > 0, "no accepted program used a map or a helper");
        Assert.True(ran >= accepted / 2, $"only {ran} of {accepted} accepted programs loaded");
    }

    [Fact]
    public void AcceptedMutationsOfRealProgramsRunWithoutFaults()
    {
        var seed = Seed(77);
        var random = new Random(seed);
        var helpers = BpfHelperSets.Default();
        var options = new VerifierOptions { ContextSize = ContextSize, Helpers = helpers, MaxProcessedInstructions = 50_000 };
        var programs = new List<(BpfProgramInfo Program, IReadOnlyList<MapSpec> Maps)>();
        foreach (var folder in new[] { Path.Combine("obj", "verifier"), Path.Combine("c", "programs", "obj") })
        {
            var directory = Path.Combine(TestPaths.DataDirectory, folder);
            foreach (var path in Directory.GetFiles(directory, "*.bpf.o").Order(StringComparer.Ordinal))
            {
                var file = ObjectReader.ReadFile(path);
                // XDP programs need a packet, not raw memory; the rest read at most ContextSize bytes.
                programs.AddRange(file.Programs.Where(p => p.Type != ProgramType.Xdp).Select(p => (p, file.Maps)));
            }
        }
        Assert.NotEmpty(programs);
        var perProgram = Math.Max(1, Iterations(3000) / 100);
        var tried = 0;
        var accepted = 0;
        var ran = 0;
        var clock = Stopwatch.StartNew();
        foreach (var (program, maps) in programs)
        {
            for (var m = 0; m < perProgram; m++)
            {
                var code = program.ToArray();
                for (var k = random.Next(1, 3); k > 0; k--)
                {
                    VerifierFuzzTests.Mutate(random, code);
                }
                tried++;
                var result = BpfVerifier.Verify(code, maps, options, name: $"{program.Name} mutation {m}");
                if (!result.Passed)
                {
                    continue;
                }
                accepted++;
                ran += RunChecked(code, maps, helpers, random, $"{program.Name} mutation {m} (seed {seed})", result) ? 1 : 0;
            }
        }
        output.WriteLine($"{tried} mutations of {programs.Count} programs: {accepted} accepted, {ran} loaded and ran checked without a fault, in {clock.ElapsedMilliseconds} ms");
        Assert.True(ran > 0, "no accepted mutation ran");
    }

    private static bool RunChecked(Instruction[] code, IReadOnlyList<MapSpec> specs, Bpftime.Helpers.HelperTable helpers, Random random, string what, VerificationResult result)
    {
        var maps = BpfMapFactory.CreateAll(specs);
        try
        {
            // Not WithVerification: the interpreter keeps every run-time check.
            var image = new ProgramImage(what, code, helpers) { Maps = maps };
            Assert.False(image.Verified);
            IBpfExecutable executable;
            try
            {
                executable = InterpreterEngine.Instance.Load(image, EngineOptions.Default);
            }
            catch (BpfException)
            {
                // Refused at load (an unreachable instruction the loader cannot decode): it never runs.
                return false;
            }
            using var loaded = executable;
            var context = new byte[ContextSize];
            for (var run = 0; run < 3; run++)
            {
                random.NextBytes(context);
                try
                {
                    loaded.Run(context);
                }
                catch (BpfException error) when (error.Code == DiagnosticCodes.ExecutionBudgetExhausted && !result.TerminationProven)
                {
                    // Memory-safe but not proven to end: the execution budget is what stops it.
                    return true;
                }
                catch (BpfException error)
                {
                    Assert.Fail($"{what} passed the verifier but faulted when run with checks: {error.Diagnostic.ToCanonicalString()}\n{VerifierKit.Explain(result)}\n{Disassembler.Disassemble(code)}");
                }
            }
            return true;
        }
        finally
        {
            foreach (var map in maps)
            {
                map.Dispose();
            }
        }
    }
}
