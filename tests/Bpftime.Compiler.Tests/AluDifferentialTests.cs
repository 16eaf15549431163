using Bpftime.Compiler.LlvmJit;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.Interpreter;
using Bpftime.Execution;
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
    public void RandomArithmeticMatchesTheInterpreter()
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

    [SkippableFact]
    public void RandomLoadsStoresAndAtomicsMatchTheInterpreter()
    {
        LlvmRequirement.SkipIfMissing();
        var random = new Random(4242);
        var engine = new LlvmJitEngine();
        var compared = 0;
        for (var round = 0; round < 200; round++)
        {
            var code = RandomMemoryProgram(random);
            var memory = new byte[32];
            random.NextBytes(memory);
            foreach (var verified in new[] { false, true })
            {
                var image = new ProgramImage($"mem{round}", code, new HelperTable("none")) { Verified = verified };
                var reference = (byte[])memory.Clone();
                ulong expected;
                try
                {
                    using var interpreter = InterpreterEngine.Instance.Load(image, EngineOptions.Default);
                    expected = interpreter.Run(reference);
                }
                catch (BpfException)
                {
                    continue;
                }
                foreach (var level in new[] { 0, 3 })
                {
                    var copy = (byte[])memory.Clone();
                    using var compiled = engine.Load(image, new EngineOptions { OptimizationLevel = level });
                    var actual = compiled.Run(copy);
                    Assert.True(expected == actual,
                        $"round {round} at O{level} (verified {verified}): r0 = 0x{actual:x}, interpreter 0x{expected:x}\n{string.Join("\n", code)}");
                    Assert.Equal(reference, copy);
                }
                compared++;
            }
        }
        Assert.True(compared > 300, $"only {compared} programs were compared");
    }

    /// <summary>r9 = the 32-byte context, r10 - 64 .. r10 the scratch stack; r0-r8 are scratch.</summary>
    private static Instruction[] RandomMemoryProgram(Random random)
    {
        var code = new List<Instruction> { Code.Mov64Reg(9, 1) };
        for (var slot = -64; slot < 0; slot += 8)
        {
            code.Add(new Instruction(Opcodes.Memory(InstructionClass.St, MemoryMode.Mem, MemorySize.DoubleWord), 10, 0, (short)slot, (int)Interesting(random)));
        }
        for (var r = 0; r <= 8; r++)
        {
            code.AddRange(Code.LoadImm64(r, Interesting(random), 0));
        }
        var sizes = new[] { MemorySize.Byte, MemorySize.Half, MemorySize.Word, MemorySize.DoubleWord };
        var count = random.Next(10, 40);
        for (var i = 0; i < count; i++)
        {
            var size = sizes[random.Next(4)];
            var bytes = size.ByteCount();
            var onStack = random.Next(3) != 0;
            var baseRegister = (byte)(onStack ? 10 : 9);
            var offset = (short)(onStack ? -random.Next(bytes, 65) : random.Next(0, 33 - bytes));
            var value = (byte)random.Next(9);
            switch (random.Next(5))
            {
                case 0:
                    // Arithmetic never touches r9: the context's address differs between the runs.
                    code.Add(RandomAlu(random, lastRegister: 8));
                    break;
                case 1:
                    code.Add(new Instruction(Opcodes.Memory(InstructionClass.Stx, MemoryMode.Mem, size), baseRegister, value, offset, 0));
                    break;
                case 2:
                    code.Add(new Instruction(Opcodes.Memory(InstructionClass.St, MemoryMode.Mem, size), baseRegister, 0, offset, (int)Interesting(random)));
                    break;
                case 3:
                    var signed = size != MemorySize.DoubleWord && random.Next(2) == 0;
                    code.Add(new Instruction(Opcodes.Memory(InstructionClass.Ldx, signed ? MemoryMode.MemSx : MemoryMode.Mem, size), value, baseRegister, offset, 0));
                    break;
                default:
                    // Atomics on naturally aligned 4- or 8-byte slots of the stack.
                    var wide = random.Next(2) == 0;
                    var slot = (short)(-8 * random.Next(1, 9) + (wide ? 0 : 4 * random.Next(2)));
                    var operations = new[]
                    {
                        AtomicOperation.Add, AtomicOperation.Or, AtomicOperation.And, AtomicOperation.Xor, AtomicOperation.FetchAdd,
                        AtomicOperation.FetchOr, AtomicOperation.FetchAnd, AtomicOperation.FetchXor, AtomicOperation.Xchg, AtomicOperation.CmpXchg,
                    };
                    code.Add(new Instruction(Opcodes.Memory(InstructionClass.Stx, MemoryMode.Atomic, wide ? MemorySize.DoubleWord : MemorySize.Word),
                        10, (byte)random.Next(1, 9), slot, (int)operations[random.Next(operations.Length)]));
                    break;
            }
        }
        for (var r = 1; r <= 8; r++)
        {
            code.Add(new Instruction(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Mul, OperandSource.Immediate), 0, 0, 0, 31));
            code.Add(Code.Alu64Reg(AluOperation.Xor, 0, r));
        }
        for (var slot = -64; slot < 0; slot += 8)
        {
            code.Add(Code.LoadDw(1, 10, (short)slot));
            code.Add(new Instruction(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Mul, OperandSource.Immediate), 0, 0, 0, 31));
            code.Add(Code.Alu64Reg(AluOperation.Xor, 0, 1));
        }
        code.Add(Code.Exit());
        return [.. code];
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

    private static Instruction RandomAlu(Random random, int lastRegister = 9)
    {
        var operation = Operations[random.Next(Operations.Length)];
        var wide = random.Next(2) == 0;
        var register = random.Next(2) == 0;
        var cls = wide ? InstructionClass.Alu64 : InstructionClass.Alu;
        var dst = (byte)random.Next(lastRegister + 1);
        var src = (byte)random.Next(lastRegister + 1);
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
