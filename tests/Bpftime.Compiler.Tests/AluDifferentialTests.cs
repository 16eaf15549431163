using Bpftime.Compiler.LlvmJit;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.Interpreter;
using Bpftime.Helpers;
using Bpftime.Isa;

namespace Bpftime.Compiler.Tests;

/// <summary>
/// Seeded random straight-line arithmetic with forward jumps, on the interpreter and on the LLVM JIT
/// at O0 and O3: every register must end up the same (they are folded into r0).
/// </summary>
public sealed class AluDifferentialTests
{
    private static readonly AluOperation[] Operations =
    [
        AluOperation.Add, AluOperation.Sub, AluOperation.Mul, AluOperation.Div, AluOperation.Or, AluOperation.And,
        AluOperation.Lsh, AluOperation.Rsh, AluOperation.Neg, AluOperation.Mod, AluOperation.Xor, AluOperation.Mov,
        AluOperation.Arsh, AluOperation.End,
    ];

    private static readonly JumpOperation[] Conditions =
    [
        JumpOperation.Jeq, JumpOperation.Jgt, JumpOperation.Jge, JumpOperation.Jset, JumpOperation.Jne, JumpOperation.Jsgt,
        JumpOperation.Jsge, JumpOperation.Jlt, JumpOperation.Jle, JumpOperation.Jslt, JumpOperation.Jsle,
    ];

    [SkippableFact]
    public void Random_arithmetic_matches_the_interpreter()
    {
        LlvmRequirement.SkipIfMissing();
        var random = new Random(9669);
        var engine = new LlvmJitEngine();
        var compared = 0;
        for (var round = 0; round < 300; round++)
        {
            var code = RandomProgram(random);
            var image = new ProgramImage($"alu{round}", code, new HelperTable("none")) { Verified = true };
            ulong expected;
            try
            {
                using var reference = InterpreterEngine.Instance.Load(image, EngineOptions.Default);
                expected = reference.Execute(0, 0);
            }
            catch (BpfException)
            {
                continue;
            }
            foreach (var level in new[] { 0, 3 })
            {
                using var compiled = engine.Load(image, new EngineOptions { OptimizationLevel = level });
                var actual = compiled.Execute(0, 0);
                Assert.True(expected == actual,
                    $"round {round} at O{level}: r0 = 0x{actual:x}, interpreter 0x{expected:x}\n{string.Join("\n", code)}");
            }
            compared++;
        }
        Assert.True(compared > 200, $"only {compared} programs were compared");
    }

    private static Instruction[] RandomProgram(Random random)
    {
        var code = new List<Instruction>();
        for (var r = 0; r <= 9; r++)
        {
            code.AddRange(Code.LoadImm64(r, Interesting(random), 0));
        }
        var body = random.Next(10, 40);
        for (var i = 0; i < body; i++)
        {
            if (random.Next(6) == 0)
            {
                // A forward conditional jump over the next one or two instructions (never into the tail).
                var skip = (short)random.Next(1, 3);
                var wide = random.Next(2) == 0;
                var register = random.Next(2) == 0;
                var cls = wide ? InstructionClass.Jmp : InstructionClass.Jmp32;
                code.Add(new Instruction(Opcodes.Jump(cls, Conditions[random.Next(Conditions.Length)], register ? OperandSource.Register : OperandSource.Immediate),
                    (byte)random.Next(10), (byte)random.Next(10), skip, (int)Interesting(random)));
                for (var k = 0; k < skip; k++)
                {
                    code.Add(RandomAlu(random));
                }
                continue;
            }
            code.Add(RandomAlu(random));
        }
        for (var r = 1; r <= 9; r++)
        {
            code.Add(new Instruction(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Mul, OperandSource.Immediate), 0, 0, 0, 31));
            code.Add(Code.Alu64Reg(AluOperation.Xor, 0, r));
        }
        code.Add(Code.Exit());
        return [.. code];
    }

    private static Instruction RandomAlu(Random random)
    {
        var operation = Operations[random.Next(Operations.Length)];
        var wide = random.Next(2) == 0;
        var register = random.Next(2) == 0;
        var cls = wide ? InstructionClass.Alu64 : InstructionClass.Alu;
        var dst = (byte)random.Next(10);
        var src = (byte)random.Next(10);
        short offset = 0;
        var imm = (int)Interesting(random);
        switch (operation)
        {
            case AluOperation.Div or AluOperation.Mod:
                offset = (short)random.Next(2);
                break;
            case AluOperation.Mov when register && random.Next(3) == 0:
                offset = (short)(wide ? new short[] { 8, 16, 32 }[random.Next(3)] : new short[] { 8, 16 }[random.Next(2)]);
                break;
            case AluOperation.Neg:
                register = false;
                imm = 0;
                break;
            case AluOperation.End:
                imm = new[] { 16, 32, 64 }[random.Next(3)];
                register = !wide && random.Next(2) == 0;
                break;
        }
        return new Instruction(Opcodes.Alu(cls, operation, register ? OperandSource.Register : OperandSource.Immediate), dst, register ? src : (byte)0, offset, imm);
    }

    private static long Interesting(Random random) => random.Next(8) switch
    {
        0 => 0,
        1 => -1,
        2 => long.MinValue,
        3 => int.MinValue,
        4 => random.Next(-70, 70),
        5 => uint.MaxValue,
        _ => random.NextInt64(),
    };
}
