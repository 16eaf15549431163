using System.Text;
using Bpftime.Compiler.Aot;
using Bpftime.Compiler.LlvmJit;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.Aot;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Linking.Native;

namespace Bpftime.Compiler.Tests;

/// <summary>
/// Verified programs whose termination was not proven: LLVM code without memory checks but with the
/// budget counter, metadata that says so, and a linker that refuses such code without a counter.
/// </summary>
public sealed class UnprovenTerminationTests
{
    private static readonly HelperTable Helpers = new("test", []);

    /// <summary>r0 counts up until it wraps to zero: 2^64 iterations.</summary>
    private static readonly Instruction[] EndlessLoop =
    [
        Code.Mov64(0, 0),
        Code.Add64(0, 1),
        new(0x55, 0, 0, -2, 0), // if r0 != 0 goto -2
        Code.Exit(),
    ];

    private static AotCompilation Compilation(bool verified, bool terminationProven) => new()
    {
        Triple = "x86_64",
        Helpers = Helpers,
        SourceName = "loop.bpf.o",
        Programs = [new AotProgramSource("loop", EndlessLoop) { Verified = verified, Proved = verified, TerminationProven = terminationProven }],
    };

    [SkippableFact]
    public void UnprovenCodeCountsTheBudgetWithoutCheckingMemory()
    {
        LlvmRequirement.SkipIfMissing();
        var unproven = AotCompiler.EmitIr(Compilation(verified: true, terminationProven: false), optimize: false);
        Assert.Contains("%budget = load i64", unproven);
        Assert.DoesNotContain(AotCheckedAbi.MemoryCheckSymbol, unproven);
        var proven = AotCompiler.EmitIr(Compilation(verified: true, terminationProven: true), optimize: false);
        Assert.DoesNotContain("%budget", proven);
        var @checked = AotCompiler.EmitIr(Compilation(verified: false, terminationProven: true), optimize: false);
        Assert.Contains("%budget = load i64", @checked);
    }

    [SkippableFact]
    public void TheMetadataRecordsTheVerdictAndTheCounterAndSurvivesARoundTrip()
    {
        LlvmRequirement.SkipIfMissing();
        var unproven = AotCompiler.Compile(Compilation(verified: true, terminationProven: false)).Metadata.Programs[0];
        Assert.False(unproven.Checked);
        Assert.True(unproven.Proved);
        Assert.False(unproven.TerminationProven);
        Assert.True(unproven.CountsBudget);
        var proven = AotCompiler.Compile(Compilation(verified: true, terminationProven: true)).Metadata.Programs[0];
        Assert.True(proven.TerminationProven);
        Assert.False(proven.CountsBudget);
        var @checked = AotCompiler.Compile(Compilation(verified: false, terminationProven: true)).Metadata.Programs[0];
        Assert.Null(@checked.TerminationProven);
        Assert.True(@checked.CountsBudget);

        var metadata = AotCompiler.Compile(Compilation(verified: true, terminationProven: false)).Metadata;
        var json = metadata.ToJsonBytes();
        Assert.Contains("\"termination_proven\":false", Encoding.UTF8.GetString(json));
        Assert.Contains("\"counts_budget\":true", Encoding.UTF8.GetString(json));
        var read = AotMetadata.FromJson(json).Programs[0];
        Assert.Equal((false, true), (read.TerminationProven, read.CountsBudget));
    }

    [Fact]
    public void MetadataFromBeforeTheFieldsReadsAsProvenWithoutACounter()
    {
        var json = """{"format":1,"triple":"x86_64-unknown-linux-gnu","programs":[{"name":"p","symbol":"bpf_main","stack_size":8,"proved":true}]}""";
        var program = AotMetadata.FromJson(Encoding.UTF8.GetBytes(json)).Programs[0];
        Assert.Null(program.TerminationProven);
        Assert.False(program.CountsBudget);
    }

    [SkippableFact]
    public void LinkedUnprovenCodeStopsWithTheBudget()
    {
        LlvmRequirement.SkipIfMissing();
        Skip.IfNot(new AotEngine().IsAvailable(out var reason), reason);
        var compiled = AotCompiler.Compile(Compilation(verified: true, terminationProven: false));
        using var module = AotLinker.Link(compiled.Bytes, new AotLinkOptions { Helpers = Helpers });
        module.Checks.ExecutionBudget = 10_000;
        Assert.False(module.IsChecked("loop"));
        var error = Assert.Throws<BpfException>(() => module.GetProgram("loop").Execute(0, 0));
        Assert.Equal(DiagnosticCodes.ExecutionBudgetExhausted, error.Code);
    }

    [SkippableFact]
    public void TheLinkerRefusesUnprovenCodeWhoseMetadataLacksTheCounter()
    {
        LlvmRequirement.SkipIfMissing();
        Skip.IfNot(new AotEngine().IsAvailable(out var reason), reason);
        var bytes = AotCompiler.Compile(Compilation(verified: true, terminationProven: false)).Bytes.ToArray();
        // The field renamed in place (same length, so the ELF stays intact): the object no longer says it counts.
        var marker = Encoding.UTF8.GetBytes("\"counts_budget\":true");
        var at = bytes.AsSpan().IndexOf(marker);
        Assert.True(at >= 0, "the metadata records the counter");
        bytes[at + "\"counts_budge".Length] = (byte)'X';
        var error = Assert.Throws<BpfException>(() => AotLinker.Link(bytes, new AotLinkOptions { Helpers = Helpers }).Dispose());
        Assert.Contains(error.Diagnostics, d => d.Code == DiagnosticCodes.AotMetadataInvalid && d.Message.Contains("does not count the execution budget", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void TheLlvmJitCountsOnlyForUnprovenOrCheckedCode()
    {
        LlvmRequirement.SkipIfMissing();
        var engine = new LlvmJitEngine();
        var options = EngineOptions.Default with { ExecutionBudget = 10_000 };
        var image = new ProgramImage("loop", EndlessLoop, Helpers) { Verified = true, TerminationProven = false };
        using (var unproven = (LlvmJitExecutable)engine.Load(image, options))
        {
            Assert.False(unproven.IsChecked);
            Assert.True(unproven.CountsBudget);
            var error = Assert.Throws<BpfException>(() => unproven.Execute(0, 0));
            Assert.Equal(DiagnosticCodes.ExecutionBudgetExhausted, error.Code);
        }
        Instruction[] bounded = [Code.Mov64(0, 0), Code.Add64(0, 1), new(0xa5, 0, 0, -2, 1000), Code.Exit()]; // while r0 < 1000
        using var proven = (LlvmJitExecutable)engine.Load(new ProgramImage("count", bounded, Helpers) { Verified = true }, options with { ExecutionBudget = 10 });
        Assert.False(proven.CountsBudget);
        Assert.Equal(1000UL, proven.Execute(0, 0));
    }
}
