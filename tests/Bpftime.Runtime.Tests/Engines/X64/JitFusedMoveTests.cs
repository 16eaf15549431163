using Bpftime.Engines;
using Bpftime.Engines.Interpreter;
using Bpftime.Engines.X64;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using static Bpftime.Tests.Engines.X64.Bpf;

namespace Bpftime.Tests.Engines.X64;

/// <summary>A copy and the add or zero extension after it, fused into one x86 instruction: the code, and the values against the interpreter.</summary>
public sealed class JitFusedMoveTests
{
    private static string[] Text(Instruction[] program, int index) => [.. JitEncodingTests.Decode(program, index).Select(d => d.Text)];

    private static ulong Run(IBpfEngine engine, Instruction[] code, bool verified)
    {
        using var executable = engine.Load(new ProgramImage("fused", code, new HelperTable("none")) { Verified = verified }, EngineOptions.Default);
        return executable.Run(new byte[16]);
    }

    [Fact]
    public void ACopyAndAnAddBecomeOneLea()
    {
        Assert.Equal(["lea r8, [rdi+rax]"], Text(Program(Mov64Reg(5, 1), Alu64Reg(AluOperation.Add, 5, 0), Exit()), 0));
        Assert.Equal(["lea rsi, [rbp-8]"], Text(Program(Mov64Reg(2, 10), Alu64(AluOperation.Add, 2, -8), Exit()), 0));
        Assert.Equal(["lea r8, [rdi+rdi]"], Text(Program(Mov64Reg(5, 1), Alu64Reg(AluOperation.Add, 5, 5), Exit()), 0));
        Assert.Equal(["mov r9d, esi"], Text(Program(Mov64Reg(4, 2), Alu64(AluOperation.Lsh, 4, 32), Alu64(AluOperation.Rsh, 4, 32), Exit()), 0));
        // Not when a jump lands on the add: the copy alone must stand for that way in.
        var split = Program(Jmp(JumpOperation.Jeq, 2, 0, 2), Alu64(AluOperation.Mul, 0, 3), Mov64Reg(5, 1), Alu64Reg(AluOperation.Add, 5, 0), Mov64Reg(0, 5), Exit());
        Assert.Equal(["mov r8, rdi"], Text(split, 2));
        Assert.Equal(["add r8, rax"], Text(split, 3));
    }

    [Fact]
    public void FusedCopiesComputeWhatTheInterpreterDoes()
    {
        long[] values = [0, 1, -1, 0x7fff_ffff, 0x8000_0000, unchecked((long)0xdead_beef_0000_0001)];
        foreach (var a in values)
        {
            foreach (var b in values)
            {
                Instruction[][] programs =
                [
                    Program(LdImm64(1, a), LdImm64(0, b), Mov64Reg(5, 1), Alu64Reg(AluOperation.Add, 5, 0), Mov64Reg(0, 5), Exit()),
                    Program(LdImm64(1, a), Mov64Reg(5, 1), Alu64Reg(AluOperation.Add, 5, 5), Mov64Reg(0, 5), Exit()),
                    Program(LdImm64(1, a), Mov64Reg(0, 1), Alu64(AluOperation.Add, 0, (int)b), Exit()),
                    Program(LdImm64(1, a), Mov64Reg(0, 1), Alu64(AluOperation.Lsh, 0, 32), Alu64(AluOperation.Rsh, 0, 32), Exit()),
                ];
                foreach (var code in programs)
                {
                    var expected = Run(InterpreterEngine.Instance, code, verified: true);
                    Assert.Equal(expected, Run(X64JitEngine.Instance, code, verified: true));
                    Assert.Equal(expected, Run(X64JitEngine.Instance, code, verified: false));
                }
            }
        }
    }
}
