using Bpftime.Diagnostics;
using Bpftime.Objects;
using Bpftime.Verification;
using Xunit.Abstractions;
using static Bpftime.Tests.Verification.VerifierKit;

namespace Bpftime.Tests.Verification;

/// <summary>
/// The safe side of the rules that close soundness holes: what the rules must still accept, and the
/// hostile cases that need more than the catalogue's maps (BTF-typed spin locks, nested loops).
/// </summary>
public sealed class SoundnessRuleTests(ITestOutputHelper output)
{
    private VerificationResult Run(string source, IReadOnlyList<MapSpec>? maps = null, ProgramType type = ProgramType.Unspecified, VerifierOptions? options = null)
    {
        var result = BpfVerifier.Verify(Assemble(source), maps ?? VerifierKit.Maps, options ?? new VerifierOptions { ContextSize = 64 }, type);
        output.WriteLine(Explain(result));
        return result;
    }

    [Fact]
    public void MetadataCheckedAgainstDataPlusAnOffsetKnowsTheDifference()
    {
        // meta + 16 <= data + 8: eight bytes of metadata are known, not sixteen.
        AssertPasses(Run("""
            ldxw %r2, [%r1+8]
            ldxw %r3, [%r1+0]
            mov %r4, %r2
            add %r4, 16
            mov %r5, %r3
            add %r5, 8
            jgt %r4, %r5, drop
            ldxdw %r0, [%r2+0]
            exit
            drop:
            mov %r0, 1
            exit
            """, type: ProgramType.Xdp));
    }
}
