using Bpftime.Isa;

namespace Bpftime.Tests.Tool.Commands;

/// <summary><c>bpftime run --budget N</c>: an unverified program that takes more backward jumps stops with BPF4016.</summary>
public class RunBudgetTests
{
    /// <summary>
    /// Raw bytecode: r0 counts up to r2, the memory's length, with a backward jump per iteration but the
    /// last. The verifier cannot bound a loop on a length it does not know, so the program runs checked.
    /// </summary>
    private static readonly Instruction[] CountToLength =
    [
        new(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Mov, OperandSource.Immediate), 0, 0, 0, 0),
        new(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Add, OperandSource.Immediate), 0, 0, 0, 1),
        new(Opcodes.Jump(InstructionClass.Jmp, JumpOperation.Jlt, OperandSource.Register), 0, 2, -2, 0),
        new(Opcodes.Exit, 0, 0, 0, 0),
    ];

    [Theory]
    [InlineData("interpreter")]
    [InlineData("jit")]
    public void TheBudgetBoundsAnUnverifiedRun(string engine)
    {
        var program = Path.Combine(Path.GetTempPath(), $"bpftime-budget-{Guid.NewGuid():N}.bin");
        var memory = Path.Combine(Path.GetTempPath(), $"bpftime-budget-{Guid.NewGuid():N}.mem");
        var bytes = new byte[CountToLength.Length * 8];
        for (var i = 0; i < CountToLength.Length; i++)
        {
            CountToLength[i].Write(bytes.AsSpan(i * 8, 8));
        }
        File.WriteAllBytes(program, bytes);
        File.WriteAllBytes(memory, new byte[1000]);
        try
        {
            // 1000 iterations take 999 backward jumps.
            var enough = ToolRunner.Run(["run", program, "--engine", engine, "--mem", memory, "--budget", "999"]);
            Assert.Equal(0, enough.ExitCode);
            Assert.Equal("0x3e8", enough.Output.Trim());
            var tooLittle = ToolRunner.Run(["run", program, "--engine", engine, "--mem", memory, "--budget", "998"]);
            Assert.NotEqual(0, tooLittle.ExitCode);
            Assert.Contains("BPF4016", tooLittle.Error, StringComparison.Ordinal);
            var invalid = ToolRunner.Run(["run", program, "--engine", engine, "--budget", "0"]);
            Assert.NotEqual(0, invalid.ExitCode);
            Assert.Contains("--budget must be at least 1", invalid.Error + invalid.Output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(program);
            File.Delete(memory);
        }
    }
}
