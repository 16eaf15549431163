using Bpftime.Objects;
using Bpftime.Verification;
using Xunit.Abstractions;

namespace Bpftime.Tests.Verification;

/// <summary>Prints what verification costs for every program of the objects from correct C, with and without pruning (no timing asserts).</summary>
public sealed class VerificationFigureTests(ITestOutputHelper output)
{
    [Fact]
    public void ReportsTheCostOfEveryProgram()
    {
        var defaults = new VerifierOptions { ContextSize = 64 };
        var rows = new List<(int Slots, string Line)>();
        foreach (var relative in ObjectVerificationTests.SafeObjects())
        {
            var path = Path.Combine(TestPaths.DataDirectory, relative);
            var file = ObjectReader.ReadFile(path);
            var options = ObjectVerificationTests.OptionsFor(relative, defaults);
            foreach (var program in file.Programs)
            {
                // Once to warm up, then the measured runs.
                BpfVerifier.Verify(program, file.Maps, options);
                var pruned = BpfVerifier.Verify(program, file.Maps, options);
                var unpruned = BpfVerifier.Verify(program, file.Maps, options with { Prune = false });
                Assert.True(pruned.Passed, $"{path}:{program.Name}\n{VerifierKit.Explain(pruned)}");
                rows.Add((program.Instructions.Count,
                    $"{Path.GetRelativePath(TestPaths.DataDirectory, path)}:{program.Name} {program.Instructions.Count} slots | pruned: {pruned.Statistics} | unpruned: {unpruned.Statistics}"));
            }
        }
        foreach (var (_, line) in rows.OrderByDescending(r => r.Slots))
        {
            output.WriteLine(line);
        }
        Assert.NotEmpty(rows);
    }
}
