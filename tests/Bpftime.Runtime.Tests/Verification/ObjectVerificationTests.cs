using Bpftime.Diagnostics;
using Bpftime.Objects;
using Bpftime.Verification;
using Xunit.Abstractions;

namespace Bpftime.Tests.Verification;

/// <summary>
/// Every clang-compiled object in tests/data that comes from correct C passes (with a 64-byte
/// context for programs that take raw memory), and the C programs written to be unsafe are refused
/// at the right instruction with the right code and source line.
/// </summary>
public sealed class ObjectVerificationTests(ITestOutputHelper output)
{
    private static readonly VerifierOptions Options = new() { ContextSize = 64 };

    /// <summary>
    /// The options for one of <see cref="SafeObjects"/>: the disassembler sample's "classifier" reads a
    /// struct of its own, not a __sk_buff, so it is verified against raw memory, as hosts run it.
    /// </summary>
    internal static VerifierOptions OptionsFor(string relativePath, VerifierOptions options) =>
        relativePath.EndsWith("objdump_sample.bpf.o", StringComparison.Ordinal) ? options with { Context = ContextLayout.RawMemory(options.ContextSize) }
        // The 1 MiB copy runs on a 2 MiB context (its source says so).
        : relativePath.EndsWith("user_copy.bpf.o", StringComparison.Ordinal) ? options with { ContextSize = 2 << 20 }
        : options;

    private static string Data(string relative) => Path.Combine(TestPaths.DataDirectory, relative);

    /// <summary>Objects from correct C: tests/data/obj (shared), tests/data/isa, tests/data/obj/verifier, tests/data/c/programs/obj.</summary>
    public static TheoryData<string> SafeObjects()
    {
        var data = new TheoryData<string>();
        foreach (var folder in new[] { "obj", "isa", Path.Combine("obj", "verifier"), Path.Combine("c", "programs", "obj") })
        {
            var directory = Data(folder);
            if (!Directory.Exists(directory))
            {
                continue;
            }
            foreach (var file in Directory.GetFiles(directory, "*.bpf.o").Order(StringComparer.Ordinal))
            {
                data.Add(Path.GetRelativePath(TestPaths.DataDirectory, file));
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(SafeObjects))]
    public void AcceptsObjectFromCorrectC(string relativePath)
    {
        var file = ObjectReader.ReadFile(Data(relativePath));
        var results = BpfVerifier.Verify(file, OptionsFor(relativePath, Options));
        Assert.NotEmpty(results);
        foreach (var result in results)
        {
            output.WriteLine($"{relativePath}: {result} stack {result.MaxStackDepth}");
            VerifierKit.AssertPasses(result);
        }
    }

    /// <summary>As hosting loads them: with the runtime's standard helper tables (XDP programs get the XDP set, the tracing object the tracing set).</summary>
    [Theory]
    [MemberData(nameof(SafeObjects))]
    public void AcceptsObjectWithTheRuntimeHelperTables(string relativePath)
    {
        var file = ObjectReader.ReadFile(Data(relativePath));
        foreach (var program in file.Programs)
        {
            // The tracing object reads host memory (bpf_probe_read), which only the "tracing" set grants.
            var helpers = program.Type == ProgramType.Xdp
                ? Bpftime.Hosting.BpfHelperSets.Find("xdp") ?? Bpftime.Hosting.BpfHelperSets.Default()
                : relativePath == "obj/tracing.bpf.o" ? Bpftime.Hosting.BpfHelperSets.Find("tracing")! : Bpftime.Hosting.BpfHelperSets.Default();
            var result = BpfVerifier.Verify(program, file.Maps, OptionsFor(relativePath, Options with { Helpers = helpers }), file.Path);
            VerifierKit.AssertPasses(result);
        }
    }

    /// <summary>
    /// The benchmark kernels (raw bytecode and maps.bpf.o in tests/data/bench): those whose loops are
    /// bounded by the context's size pass, proven to end; those that loop as often as a number in the
    /// input says pass too (their loops are widened to a fixpoint) but without the termination verdict,
    /// so that engines run them under the execution budget (Linux refuses them: no bound exists); and
    /// the string comparison, whose scan can run past the memory when its two halves are equal, is
    /// refused at that read.
    /// </summary>
    [SkippableTheory]
    [InlineData("log2.bin", null)]
    [InlineData("memcpy.bin", null)]
    [InlineData("switch.bin", null)]
    [InlineData("primes.bin", null)]
    // while (a[i] != 0 && a[i] == b[i]) i++ reads past the memory when both halves are equal and non-zero.
    [InlineData("strcmp.bin", DiagnosticCodes.VerifierInvalidContextAccess)]
    [InlineData("maps.bpf.o", null)]
    public void BenchmarkKernels(string name, string? code)
    {
        var path = Data(Path.Combine("bench", name));
        Skip.IfNot(File.Exists(path), $"{path} is not in this checkout");
        var file = ObjectReader.ReadFile(path);
        var options = new VerifierOptions { ContextSize = 128, MaxProcessedInstructions = code is null ? 1_000_000 : 50_000 };
        foreach (var result in BpfVerifier.Verify(file, options))
        {
            output.WriteLine($"{name}: {result}");
            if (code is null)
            {
                VerifierKit.AssertPasses(result);
                Assert.Equal(name is not ("primes.bin" or "maps.bpf.o"), result.TerminationProven);
            }
            else
            {
                Assert.False(result.Passed);
                Assert.Equal(code, result.Diagnostics[0].Code);
            }
        }
    }

    [Fact]
    public void TheVerifierOwnObjectsArePresent()
    {
        // The micro-programs are committed; their absence would silently shrink the theory above.
        foreach (var name in new[] { "log2_array", "memcpy", "primes", "strcmp", "switch64", "ringbuf", "xdp_parse", "for_each" })
        {
            Assert.True(File.Exists(Data(Path.Combine("obj", "verifier", name + ".bpf.o"))), name);
        }
    }

    [Theory]
    [InlineData("division_index", DiagnosticCodes.VerifierMapValueOutOfBounds, "return row[x / d];")]
    [InlineData("null_deref", DiagnosticCodes.VerifierPossibleNullDereference, "*count += 1;")]
    [InlineData("oob_index", DiagnosticCodes.VerifierUnboundedPointerArithmetic, "return row[index];")]
    [InlineData("packet_unchecked", DiagnosticCodes.VerifierPacketOutOfBounds, "return ip->protocol")]
    [InlineData("ringbuf_leak", DiagnosticCodes.VerifierUnreleasedReference, "}")]
    [InlineData("rodata_write", DiagnosticCodes.VerifierReadOnlyWrite, "bpf_probe_read_kernel(")]
    [InlineData("stack_oob", DiagnosticCodes.VerifierStackOutOfBounds, "buf[i] = 1;")]
    [InlineData("unbounded_loop", DiagnosticCodes.VerifierTerminationNotProven, "sum += i * i;")]
    [InlineData("uninit_value", DiagnosticCodes.VerifierUninitializedStack, "bpf_map_update_elem(")]
    public void RefusesUnsafeC(string name, string code, string? sourceText)
    {
        var path = Data(Path.Combine("obj", "verifier", "unsafe", name + ".bpf.o"));
        // A loop that may run 2^32 times is memory-safe: it is refused only when termination must be proven.
        var options = code == DiagnosticCodes.VerifierTerminationNotProven ? Options with { RequireTermination = true } : Options;
        var result = Assert.Single(BpfVerifier.Verify(ObjectReader.ReadFile(path), options));
        output.WriteLine(VerifierKit.Explain(result));
        Assert.False(result.Passed);
        var error = result.Diagnostics[0];
        Assert.Equal(code, error.Code);
        Assert.NotNull(error.InstructionIndex);
        Assert.Equal(name, error.Program);
        // The diagnostic points at the C source through the object's line info.
        Assert.EndsWith(name + ".bpf.c", error.File, StringComparison.Ordinal);
        Assert.True(error.Line > 0);
        if (sourceText is not null)
        {
            var source = File.ReadAllLines(Data(Path.Combine("c", "verifier", "unsafe", name + ".bpf.c")));
            Assert.Contains(sourceText, source[error.Line - 1], StringComparison.Ordinal);
        }
        Assert.Matches(@"^.+\.bpf\.c\(\d+,\d+\): error BPF2\d\d\d: .+ \[" + name + @"\+\d+\]$", error.ToCanonicalString());
    }

    [Fact]
    public void XdpPacketLoadsAreListedForRewriting()
    {
        var file = ObjectReader.ReadFile(Data(Path.Combine("obj", "verifier", "xdp_parse.bpf.o")));
        var result = Assert.Single(BpfVerifier.Verify(file, Options));
        VerifierKit.AssertPasses(result);
        Assert.Contains(result.ContextRewrites, r => r.Kind == ContextFieldKind.PacketStart && r.ContextOffset == 0);
        Assert.Contains(result.ContextRewrites, r => r.Kind == ContextFieldKind.PacketEnd && r.ContextOffset == 4);
        foreach (var rewrite in result.ContextRewrites)
        {
            var insn = file.Programs[0].Instructions[rewrite.InstructionIndex];
            Assert.Equal(Bpftime.Isa.InstructionClass.Ldx, insn.Class);
        }
    }

    [Fact]
    public void PruningSavesWorkOnTheLargestProgram()
    {
        // The largest program by processed instructions among the micro-programs.
        var file = ObjectReader.ReadFile(Data(Path.Combine("obj", "verifier", "primes.bpf.o")));
        var pruned = Assert.Single(BpfVerifier.Verify(file, Options));
        var unpruned = Assert.Single(BpfVerifier.Verify(file, Options with { Prune = false }));
        output.WriteLine($"with pruning: {pruned.Statistics}");
        output.WriteLine($"without pruning: {unpruned.Statistics}");
        VerifierKit.AssertPasses(pruned);
        VerifierKit.AssertPasses(unpruned);
        Assert.True(pruned.Statistics.StatesPruned > 0);
        Assert.Equal(0, unpruned.Statistics.StatesPruned);
        Assert.True(pruned.Statistics.InstructionsProcessed <= unpruned.Statistics.InstructionsProcessed);
    }
}
