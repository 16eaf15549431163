using Bpftime.Engines;
using Bpftime.Engines.X64;
using Bpftime.Helpers;
using Bpftime.Isa;
using Iced.Intel;
using static Bpftime.Tests.Engines.X64.Bpf;
using Instruction = Bpftime.Isa.Instruction;

namespace Bpftime.Tests.Engines.X64;

/// <summary>The jit's budget counter, seen in the emitted code: present where a loop may not end, absent where the verifier proved it does.</summary>
public sealed class JitBudgetCounterTests
{
    private static readonly HelperTable Helpers = new("t", []);

    private static readonly Instruction[] Loop = Program(
        Mov64(0, 0),
        Alu64(AluOperation.Add, 0, 1),
        Jmp(JumpOperation.Jlt, 0, 1000, -2),
        Exit());

    /// <summary>Every instruction of the whole program, as NASM text.</summary>
    private static List<string> Disassemble(ProgramImage image)
    {
        var compiled = X64Compiler.Compile(image, new JitBindings(0x1234_5678, h => h.NativeEntry, _ => 0x5678));
        var decoder = Iced.Intel.Decoder.Create(64, new ByteArrayCodeReader(compiled.Code));
        var formatter = new NasmFormatter();
        var text = new List<string>();
        while (decoder.IP < (ulong)compiled.Code.Length)
        {
            var output = new StringOutput();
            formatter.Format(decoder.Decode(), output);
            text.Add(output.ToStringAndReset());
        }
        return text;
    }

    /// <summary>The counter lives in xmm15; a unit is spent by adding xmm14's all-ones (-1).</summary>
    private static bool SpendsBudget(List<string> code) =>
        code.Any(line => line.StartsWith("paddq xmm15,xmm14", StringComparison.Ordinal));

    private static bool IsBudgetRegisterTraffic(string line) =>
        line.Contains("xmm15", StringComparison.Ordinal) || line.Contains("xmm14", StringComparison.Ordinal);

    [Fact]
    public void OnlyCodeNotProvenToEndSpendsTheBudget()
    {
        var image = new ProgramImage("loop", Loop, Helpers);
        Assert.True(SpendsBudget(Disassemble(image)));
        Assert.True(SpendsBudget(Disassemble(image with { Verified = true, TerminationProven = false })));
        Assert.False(SpendsBudget(Disassemble(image with { Verified = true })));
    }

    [Fact]
    public void UnprovenCodeKeepsItsMemoryUnchecked()
    {
        // A load through r1 (the context): checked code tests it against the context's bounds (a
        // compare with the run state's context fields); verified code, proven or not, does not.
        var load = Program(Ldx(Bpftime.Isa.MemorySize.DoubleWord, 0, 1, 0), Exit());
        var image = new ProgramImage("load", load, Helpers);
        // Unproven code loads and stores its budget register (xmm15) at entry and exit; that is not a check.
        var @checked = Disassemble(image).Count(line => !IsBudgetRegisterTraffic(line));
        var unproven = Disassemble(image with { Verified = true, TerminationProven = false }).Count(line => !IsBudgetRegisterTraffic(line));
        var proven = Disassemble(image with { Verified = true }).Count;
        Assert.DoesNotContain(Disassemble(image with { Verified = true }), IsBudgetRegisterTraffic);
        Assert.True(@checked > proven);
        Assert.Equal(proven, unproven);
    }
}
