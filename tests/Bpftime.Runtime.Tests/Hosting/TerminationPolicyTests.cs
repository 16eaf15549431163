using Bpftime.Compiler.Aot;
using Bpftime.Diagnostics;
using Bpftime.Helpers;
using Bpftime.Hosting;
using Bpftime.Isa;
using Bpftime.Tests.Maps;
using Bpftime.Verification;
using static Bpftime.Tests.Engines.X64.Bpf;

namespace Bpftime.Tests.Hosting;

/// <summary>
/// BpfLoadOptions.RequireTermination: off, a program proved memory-safe but not proved to end is
/// verified and runs under the budget; on, the verifier is asked to refuse it (BPF2039) and native
/// code recorded that way is refused (BPF4119).
/// </summary>
public class TerminationPolicyTests
{
    private static bool HasLlvm => TestEngines.All.Any(e => e.Name == BpfLoadOptions.AotEngine);

    /// <summary>r0 counts up until it wraps to zero: 2^64 iterations.</summary>
    private static Instruction[] EndlessLoop() => Program(
        Mov64(0, 0),
        Alu64(AluOperation.Add, 0, 1),
        Jmp(JumpOperation.Jne, 0, 0, -2),
        Exit());

    /// <summary>Native code as the build writes it for a program whose memory safety, but not termination, was proved.</summary>
    private static byte[] CompileVerified(Instruction[] code, bool terminationProven) => AotCompiler.Compile(new AotCompilation
    {
        Programs = [new AotProgramSource("loop", code) { Verified = true, Proved = true, TerminationProven = terminationProven }],
        Helpers = StandardHelpers.CreateDefault(),
    }).Bytes;

    private static BpfLoadOptions Options => new() { ReadEnvironment = false };

    [Fact]
    public void TheLoaderAsksTheVerifierForTerminationOnlyWhenTheHostRequiresIt()
    {
        var helpers = StandardHelpers.CreateDefault();
        var raw = ProgramContext.Raw(16, proved: false);
        Assert.False(LoadVerification.OptionsFor(raw, helpers, null).RequireTermination);
        Assert.True(LoadVerification.OptionsFor(raw, helpers, null, requireTermination: true).RequireTermination);
        Assert.True(LoadVerification.OptionsFor(ProgramContext.Xdp, helpers, null, requireTermination: true).RequireTermination);
        Assert.False(new BpfLoadOptions().RequireTermination);
    }

    [Fact]
    public void NativeCodeNotProvedToEndIsRefusedWhenTerminationIsRequired()
    {
        Assert.True(HasLlvm, "these tests compile native code and need libLLVM");
        var native = CompileVerified(EndlessLoop(), terminationProven: false);
        var error = Assert.Throws<BpfException>(() => BpfObject.Load(native, Options with { RequireTermination = true }));
        Assert.Equal(DiagnosticCodes.NativeProgramTerminationNotProven, error.Diagnostic.Code);
        Assert.Contains("'loop'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NativeCodeNotProvedToEndIsVerifiedAndStoppedByTheBudget()
    {
        Assert.True(HasLlvm, "these tests compile native code and need libLLVM");
        var native = CompileVerified(EndlessLoop(), terminationProven: false);
        using var loaded = BpfObject.Load(native, Options with { ExecutionBudget = 10_000 });
        var program = loaded.Programs["loop"];
        Assert.True(program.IsVerified);
        Assert.False(program.IsTerminationProven);
        var fault = Assert.Throws<BpfException>(() => { program.Run(); });
        Assert.Equal(DiagnosticCodes.ExecutionBudgetExhausted, fault.Code);
    }

    [Fact]
    public void NativeCodeProvedToEndLoadsWhenTerminationIsRequired()
    {
        Assert.True(HasLlvm, "these tests compile native code and need libLLVM");
        Instruction[] counting = Program(Mov64(0, 0), Alu64(AluOperation.Add, 0, 1), Jmp(JumpOperation.Jlt, 0, 100, -2), Exit());
        using var loaded = BpfObject.Load(CompileVerified(counting, terminationProven: true), Options with { RequireTermination = true, ExecutionBudget = 10 });
        var program = loaded.Programs["loop"];
        Assert.True(program.IsTerminationProven);
        // Proven code carries no counter: 99 back-edges on a budget of 10.
        Assert.Equal(100UL, program.Run());
    }

    [Theory]
    [MemberData(nameof(TestEngines.BytecodeNames), MemberType = typeof(TestEngines))]
    public void BytecodeTheVerifierProvesToEndIsTerminationProven(string engine)
    {
        var code = Program(Mov64(0, 0), Alu64(AluOperation.Add, 0, 1), Jmp(JumpOperation.Jlt, 0, 10, -2), Exit());
        var bytes = new byte[code.Length * 8];
        for (var i = 0; i < code.Length; i++)
        {
            code[i].Write(bytes.AsSpan(i * 8, 8));
        }
        var options = Options with { Engine = engine, Engines = TestEngines.Registry, RequireTermination = true, RequireVerification = true };
        using var loaded = BpfObject.Load(bytes, options);
        var program = loaded.Programs.Values.Single();
        Assert.True(program.IsVerified);
        Assert.True(program.IsTerminationProven);
        Assert.True(program.Verification!.TerminationProven);
        Assert.Equal(10UL, program.Run());
    }

    [Fact]
    public void TheReportNamesEachUnprovenLoopWithItsLine()
    {
        var result = new VerificationResult("p", true, [], new VerificationStatistics(0, 0, 0, 0, TimeSpan.Zero))
        {
            TerminationProven = false,
            UnprovenLoops = [1, 5],
        };
        var program = new Bpftime.Objects.BpfProgramInfo("p", "socket", Bpftime.Objects.ProgramType.SocketFilter, [.. EndlessLoop(), .. EndlessLoop()])
        {
            LineInfo = [new Bpftime.Objects.BpfLineInfo(0, "/src/loop.bpf.c", "for (;;)", 12, 5)],
        };
        Assert.Equal("the loops at instruction 1 (loop.bpf.c:12), instruction 5 (loop.bpf.c:12)", UnprovenLoopReport.Describe(result, program));
        Assert.Equal("a loop", UnprovenLoopReport.Describe(result with { UnprovenLoops = [] }, program));
        Assert.Equal("the loop at instruction 1", UnprovenLoopReport.Describe(result with { UnprovenLoops = [1] }, program with { LineInfo = [] }));
    }
}
