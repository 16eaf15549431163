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

    [Theory]
    [InlineData("default")]
    [InlineData("xdp")]
    public void HostMemoryReadersAreRefusedOutsideTheTracingSet(string set)
    {
        // probe_read of any address is a host-memory capability: only "tracing" grants it.
        const string Source = """
            mov %r1, %r10
            add %r1, -8
            mov %r2, 8
            mov %r3, 4096
            call 4
            mov %r0, 0
            exit
            """;
        var refused = Run(Source, options: new VerifierOptions { ContextSize = 64, Helpers = Bpftime.Helpers.StandardHelpers.Create(set) });
        var diagnostic = AssertRefused(refused, DiagnosticCodes.VerifierUnknownHelper, 4);
        Assert.Contains("\"tracing\"", diagnostic.Message, StringComparison.Ordinal);
        AssertPasses(Run(Source, options: new VerifierOptions { ContextSize = 64, Helpers = Bpftime.Helpers.StandardHelpers.CreateTracing() }));
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

    [Fact]
    public void ALockTakenAtTheBtfFieldGuardsTheOtherFields()
    {
        AssertPasses(Run("""
            stw [%r10-4], 0
            mov %r2, %r10
            add %r2, -4
            ldmap %r1, 6
            call 1
            jeq %r0, 0, out
            mov %r7, %r0
            mov %r1, %r0
            call 93
            ldxdw %r2, [%r7+8]
            add %r2, 1
            stxdw [%r7+8], %r2
            stw [%r7+4], 0
            mov %r1, %r7
            call 94
            out:
            mov %r0, 0
            exit
            """));
    }

    [Fact]
    public void TheSpinLockObjectVerifiesWithItsBtfLocks()
    {
        var file = ObjectReader.ReadFile(Path.Combine(TestPaths.DataDirectory, "c", "programs", "obj", "spin_counter.bpf.o"));
        Assert.All(file.Maps.Where(m => !m.IsGlobalData), m => Assert.Equal(0, m.SpinLockOffset));
        foreach (var result in BpfVerifier.Verify(file, new VerifierOptions()))
        {
            output.WriteLine(Explain(result));
            AssertPasses(result);
        }
    }

    [Fact]
    public void NestedLoopsWithSmallCountsPass()
    {
        AssertPasses(Run("""
            mov %r1, 1000
            ldfunc %r2, outer
            mov %r3, 0
            mov %r4, 0
            call 181
            mov %r0, 0
            exit
            outer:
            mov %r1, 1000
            ldfunc %r2, inner
            mov %r3, 0
            mov %r4, 0
            call 181
            mov %r0, 0
            exit
            inner:
            mov %r0, 0
            exit
            """));
    }

    [Fact]
    public void ACallbackMayReserveAndSubmitItsOwnRecord()
    {
        AssertPasses(Run("""
            mov %r1, 4
            ldfunc %r2, cb
            mov %r3, 0
            mov %r4, 0
            call 181
            mov %r0, 0
            exit
            cb:
            ldmap %r1, 2
            mov %r2, 8
            mov %r3, 0
            call 131
            jeq %r0, 0, done
            stdw [%r0+0], 7
            mov %r1, %r0
            mov %r2, 0
            call 132
            done:
            mov %r0, 0
            exit
            """));
    }

    [Fact]
    public void ReadOnlyDataGivenToAnUncheckedHelperIsNotFolded()
    {
        // The host's helper has no prototype, so it might write .rodata: its bytes are no longer known
        // constants and the index read from it is 0..255, too wide for the stack.
        const string Source = """
            stb [%r10-1], 0
            ldmapval %r1, 4, 0
            call 1000
            ldmapval %r2, 4, 0
            ldxb %r3, [%r2+0]
            mov %r4, %r10
            add %r4, -105
            add %r4, %r3
            ldxb %r0, [%r4+0]
            exit
            """;
        foreach (var prototype in new[] { Bpftime.Helpers.HelperPrototype.Unchecked, Bpftime.Helpers.HelperPrototype.Of(Bpftime.Helpers.HelperReturnKind.Integer, Bpftime.Helpers.HelperArgumentKind.Anything) })
        {
            var helpers = new Bpftime.Helpers.HelperTable("host", [new Bpftime.Helpers.HelperFunction(1000, "host_anything", prototype, (_, _, _, _, _) => 0)]);
            AssertRefused(Run(Source, options: new VerifierOptions { ContextSize = 64, Helpers = helpers }), DiagnosticCodes.VerifierStackOutOfBounds, 10);
            // Without the call the byte is the constant 'h' (104) and the access is fp-1.
            AssertPasses(Run(Source.Replace("call 1000", "mov %r1, 0", StringComparison.Ordinal), options: new VerifierOptions { ContextSize = 64, Helpers = helpers }));
        }
    }
}
