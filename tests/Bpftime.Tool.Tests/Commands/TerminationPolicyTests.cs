using System.Text.Json;
using Bpftime.Compiler.Aot;
using Bpftime.Diagnostics;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Objects;
using Bpftime.Tool.Commands;
using Bpftime.Verification;

namespace Bpftime.Tests.Tool.Commands;

/// <summary>
/// --require-termination on verify, compile and run, and what verify reports about each proof:
/// verdict, termination, unproven loops with their C lines, and the costs.
/// </summary>
public sealed class TerminationPolicyTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("bpftime-termination-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string Object(string relative) => ToolRunner.DataFile("obj", "verifier", relative);

    private static Instruction Mov(int dst, int imm) => new(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Mov, OperandSource.Immediate), (byte)dst, 0, 0, imm);

    private static Instruction Add(int dst, int imm) => new(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Add, OperandSource.Immediate), (byte)dst, 0, 0, imm);

    private static Instruction Exit() => new(Opcodes.Exit, 0, 0, 0, 0);

    /// <summary>Counts r0 to 100: 99 backward jumps.</summary>
    private static readonly Instruction[] CountTo100 =
    [
        Mov(0, 0),
        Add(0, 1),
        new(Opcodes.Jump(InstructionClass.Jmp, JumpOperation.Jlt, OperandSource.Immediate), 0, 0, -2, 100),
        Exit(),
    ];

    /// <summary>Native code as the build writes it for a program proved memory-safe whose loop the verifier could not bound.</summary>
    private string UnprovenNativeObject()
    {
        var path = Path.Combine(_directory, "loop.x86_64.o");
        File.WriteAllBytes(path, AotCompiler.Compile(new AotCompilation
        {
            Programs = [new AotProgramSource("loop", CountTo100) { Verified = true, Proved = true, TerminationProven = false }],
            Helpers = StandardHelpers.CreateDefault(),
        }).Bytes);
        return path;
    }

    [Fact]
    public void VerifyJsonReportsTheVerdictTerminationAndCostsOfEachProgram()
    {
        var result = ToolRunner.Run(["verify", Object("primes.bpf.o"), "--ctx-size", "64", "--json"]);
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        var program = JsonDocument.Parse(result.Output).RootElement.GetProperty("programs")[0];
        Assert.True(program.GetProperty("passed").GetBoolean());
        Assert.True(program.GetProperty("terminationProven").GetBoolean());
        Assert.Equal(0, program.GetProperty("unprovenLoops").GetArrayLength());
        var stats = program.GetProperty("stats");
        Assert.True(stats.GetProperty("instructionsProcessed").GetInt64() > 0);
        Assert.True(stats.GetProperty("statesExplored").GetInt64() > 0);
        Assert.True(stats.GetProperty("statesPruned").GetInt64() >= 0);
        Assert.True(stats.GetProperty("peakStates").GetInt64() > 0);
        // A proof builds states: it allocates something, and the report says how much.
        Assert.True(stats.GetProperty("allocatedBytes").GetInt64() > 0);
        Assert.True(stats.GetProperty("milliseconds").GetDouble() >= 0);
    }

    [Fact]
    public void ARefusedProgramHasNoTerminationVerdict()
    {
        var result = ToolRunner.Run(["verify", Object(Path.Combine("unsafe", "null_deref.bpf.o")), "--ctx-size", "64", "--json"]);
        Assert.Equal(1, result.ExitCode);
        var program = JsonDocument.Parse(result.Output).RootElement.GetProperty("programs")[0];
        Assert.False(program.GetProperty("passed").GetBoolean());
        Assert.False(program.GetProperty("terminationProven").GetBoolean());
    }

    [Fact]
    public void VerifyPrintsAOneLineSummaryOfTheSame()
    {
        var result = ToolRunner.Run(["verify", Object("primes.bpf.o"), "--ctx-size", "64"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"count_primes: safe, termination proven; \d+ insns processed, \d+ states explored, \d+ pruned, peak \d+ stored, [\d.]+ ms, \d+ KiB allocated; stack \d+ bytes", result.Output);
    }

    [Fact]
    public void TheSummaryNamesUnprovenLoopsWithTheirCLines()
    {
        var verdict = new VerificationResult("loop", true, [], new VerificationStatistics(40, 9, 2, 3, TimeSpan.FromMilliseconds(1.5)) { AllocatedBytes = 4096 })
        {
            TerminationProven = false,
            UnprovenLoops = [1],
        };
        var program = new BpfProgramInfo("loop", "socket", ProgramType.SocketFilter, CountTo100)
        {
            LineInfo = [new BpfLineInfo(0, "/src/loop.bpf.c", "while (x)", 7, 3)],
        };
        Assert.Equal("loop: safe, termination not proven (the loop at instruction 1 (loop.bpf.c:7): runs under the execution budget); 40 insns processed, 9 states explored, 2 pruned, peak 3 stored, 1.5 ms, 4 KiB allocated; stack 0 bytes (chain 0)",
            VerifyCommand.Summary(verdict, program));
    }

    [Fact]
    public void RequireTerminationKeepsProgramsProvedToEnd()
    {
        Assert.Equal(0, ToolRunner.Run(["verify", Object("primes.bpf.o"), "--ctx-size", "64", "--require-termination"]).ExitCode);
        var native = Path.Combine(_directory, "primes.o");
        var compiled = ToolRunner.Run(["compile", Object("primes.bpf.o"), "-o", native, "--memory-checks", "auto", "--ctx-size", "64", "--require-termination"]);
        Assert.True(compiled.ExitCode == 0, compiled.Output + compiled.Error);
        var metadata = Bpftime.Linking.Native.AotLinker.ReadMetadata(File.ReadAllBytes(native));
        Assert.NotNull(metadata);
        Assert.All(metadata.Programs, p => Assert.Equal((true, false), (p.TerminationProven, p.CountsBudget)));
    }

    [Fact]
    public void RunRefusesNativeCodeNotProvedToEndWhenTerminationIsRequired()
    {
        var native = UnprovenNativeObject();
        var refused = ToolRunner.Run(["run", native, "--engine", "aot", "--require-termination"]);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains(DiagnosticCodes.NativeProgramTerminationNotProven, refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void RunRunsNativeCodeNotProvedToEndUnderTheBudget()
    {
        var native = UnprovenNativeObject();
        var enough = ToolRunner.Run(["run", native, "--engine", "aot", "--budget", "99", "--json"]);
        Assert.True(enough.ExitCode == 0, enough.Output + enough.Error);
        var json = JsonDocument.Parse(enough.Output).RootElement;
        Assert.Equal(100UL, json.GetProperty("result_value").GetUInt64());
        Assert.True(json.GetProperty("verified").GetBoolean());
        Assert.False(json.GetProperty("termination_proven").GetBoolean());
        Assert.Contains("runs under the budget", enough.Error, StringComparison.Ordinal);
        var tooLittle = ToolRunner.Run(["run", native, "--engine", "aot", "--budget", "98"]);
        Assert.NotEqual(0, tooLittle.ExitCode);
        Assert.Contains(DiagnosticCodes.ExecutionBudgetExhausted, tooLittle.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void TheBuildNamesEachUnprovenLoopAtItsCLineAsInformation()
    {
        var path = Object("primes.bpf.o");
        var file = ObjectReader.ReadFile(path);
        var program = file.FindProgram("count_primes")!;
        var head = program.LineInfo[^1];
        var verdict = new VerificationResult(program.Name, true, [], new VerificationStatistics(0, 0, 0, 0, TimeSpan.Zero))
        {
            TerminationProven = false,
            UnprovenLoops = [head.InstructionIndex],
        };
        var item = new Bpftime.Tool.Build.BuildItem { Source = path, Name = "primes", ClassName = "Primes", BytecodeCopy = "", Accessor = "" };
        var found = Bpftime.Tool.Build.ProgramChecks.UnprovenLoops(item, program, verdict).Single();
        var located = Bpftime.Tool.Build.SourceLocator.Locate(found, path, file);
        Assert.Equal(DiagnosticSeverity.Info, located.Severity);
        var text = located.ToCanonicalString();
        // MSBuild's canonical form at the C line: the build task logs it as a message, not a warning.
        Assert.Matches($@"primes\.bpf\.c\({head.Line},\d+\): info BPF4187: program 'count_primes': the verifier could not prove that this loop \(instruction {head.InstructionIndex}\) ends; it is verified .* runs under the execution budget", text);
        Assert.Contains("RequireTermination=true refuses", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("verify")]
    [InlineData("compile")]
    [InlineData("run")]
    public void HelpListsRequireTermination(string command)
    {
        var help = ToolRunner.Run([command, "--help"]);
        Assert.Contains("--require-termination", help.Output, StringComparison.Ordinal);
    }
}
