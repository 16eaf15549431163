using System.Diagnostics;
using Bpftime.Diagnostics;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Objects;
using Bpftime.Verification;
using Xunit.Abstractions;

namespace Bpftime.Tests.Verification;

/// <summary>
/// Seeded random and mutated programs: every one ends with a verdict inside the instruction budget,
/// the verifier never fails internally, and pruning never changes the verdict (a pruned path would
/// have been safe, so the first error found is the same with and without pruning).
/// </summary>
public sealed class VerifierFuzzTests(ITestOutputHelper output)
{
    private const int Budget = 20_000;

    private static readonly VerifierOptions Pruned = new() { ContextSize = 64, MaxProcessedInstructions = Budget };
    private static readonly VerifierOptions Unpruned = Pruned with { Prune = false };

    private static readonly byte[] AluOpcodes = BuildAluOpcodes();
    private static readonly int[] HelperIds = [.. HelperCatalogue.All.Select(r => r.Id), 9999];

    [Fact]
    public void RandomProgramsEndWithAVerdict()
    {
        // BPFTIME_FUZZ_SEED and BPFTIME_FUZZ_COUNT run a longer or different campaign by hand.
        var seed = int.TryParse(Environment.GetEnvironmentVariable("BPFTIME_FUZZ_SEED"), out var s) ? s : 20261125;
        var count = int.TryParse(Environment.GetEnvironmentVariable("BPFTIME_FUZZ_COUNT"), out var c) ? c : 400;
        var random = new Random(seed);
        var verdicts = new Dictionary<string, int>();
        var clock = Stopwatch.StartNew();
        for (var n = 0; n < count; n++)
        {
            var code = RandomProgram(random, random.Next(2, 40));
            Check(code, $"random #{n}", verdicts);
        }
        output.WriteLine($"{count} random programs (seed {seed}) in {clock.ElapsedMilliseconds} ms: " + string.Join(", ", verdicts.OrderBy(v => v.Key).Select(v => $"{v.Key} x{v.Value}")));
        Assert.True(verdicts.GetValueOrDefault("safe") > 0, "some random programs should pass");
    }

    [Fact]
    public void MutatedObjectProgramsEndWithAVerdict()
    {
        var random = new Random(7);
        var verdicts = new Dictionary<string, int>();
        var programs = new List<(BpfProgramInfo Program, IReadOnlyList<MapSpec> Maps)>();
        foreach (var folder in new[] { "obj", Path.Combine("obj", "verifier"), Path.Combine("c", "programs", "obj") })
        {
            var directory = Path.Combine(TestPaths.DataDirectory, folder);
            if (!Directory.Exists(directory))
            {
                continue;
            }
            foreach (var path in Directory.GetFiles(directory, "*.bpf.o").Order(StringComparer.Ordinal))
            {
                var file = ObjectReader.ReadFile(path);
                programs.AddRange(file.Programs.Select(p => (p, file.Maps)));
            }
        }
        Assert.NotEmpty(programs);
        var count = 0;
        foreach (var (program, maps) in programs)
        {
            for (var m = 0; m < 12; m++)
            {
                var code = program.ToArray();
                var mutations = random.Next(1, 4);
                for (var k = 0; k < mutations; k++)
                {
                    // Keep mutations that stay well-formed, so that most reach the verifier proper.
                    for (var attempt = 0; attempt < 10; attempt++)
                    {
                        var candidate = (Instruction[])code.Clone();
                        Mutate(random, candidate);
                        if (attempt == 9 || ProgramValidator.Validate(candidate).Count == 0)
                        {
                            code = candidate;
                            break;
                        }
                    }
                }
                Check(code, $"{program.Name} mutation {m}", verdicts, maps, program.Type);
                count++;
            }
        }
        output.WriteLine($"{count} mutated programs: " + string.Join(", ", verdicts.OrderBy(v => v.Key).Select(v => $"{v.Key} x{v.Value}")));
    }

    /// <summary>
    /// What the verifier accepts must run without a memory fault: random programs that pass (and
    /// need no maps or helpers) run on the interpreter with its run-time checks on, over random
    /// 64-byte contexts.
    /// </summary>
    [Fact]
    public void AcceptedProgramsRunWithoutFaultsOnTheCheckedInterpreter()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("BPFTIME_FUZZ_SEED"), out var s) ? s : 4242;
        var wanted = int.TryParse(Environment.GetEnvironmentVariable("BPFTIME_FUZZ_COUNT"), out var c) ? c : 150;
        var random = new Random(seed);
        var ran = 0;
        for (var n = 0; n < wanted * 20 && ran < wanted; n++)
        {
            var code = RandomProgram(random, random.Next(2, 40));
            if (code.Any(i => i.IsCall || (i.IsLoadImm64 && i.Src != 0)))
            {
                continue;
            }
            var result = BpfVerifier.Verify(code, [], Pruned);
            if (!result.Passed)
            {
                continue;
            }
            var image = new Bpftime.Engines.ProgramImage($"random #{n}", code, new Bpftime.Helpers.HelperTable("none"));
            using var executable = Bpftime.Engines.Interpreter.InterpreterEngine.Instance.Load(image, Bpftime.Engines.EngineOptions.Default);
            var context = new byte[64];
            for (var run = 0; run < 4; run++)
            {
                random.NextBytes(context);
                try
                {
                    Bpftime.Execution.ExecutableExtensions.Run(executable, context);
                }
                catch (BpfException error)
                {
                    Assert.Fail($"random #{n} passed the verifier but faulted: {error.Diagnostic.ToCanonicalString()}\n{VerifierKit.Explain(result)}\n{Disassembler.Disassemble(code)}");
                }
            }
            ran++;
        }
        output.WriteLine($"{ran} accepted programs ran without a fault");
        Assert.True(ran >= 20, $"only {ran} accepted programs were run");
    }

    private static void Check(Instruction[] code, string what, Dictionary<string, int> verdicts, IReadOnlyList<MapSpec>? maps = null, ProgramType type = ProgramType.Unspecified)
    {
        maps ??= VerifierKit.Maps;
        var pruned = BpfVerifier.Verify(code, maps, Pruned, type, what);
        var unpruned = BpfVerifier.Verify(code, maps, Unpruned, type, what);
        foreach (var result in new[] { pruned, unpruned })
        {
            Assert.DoesNotContain(result.Diagnostics, d => d.Code == DiagnosticCodes.VerifierInternalError);
            Assert.True(result.Statistics.InstructionsProcessed <= Budget + 1, $"{what}: {result.Statistics}");
            Assert.True(result.Passed || result.Errors.Any(), $"{what}: refused without an error");
        }
        var key = pruned.Passed ? "safe" : pruned.Diagnostics[0].Code;
        verdicts[key] = verdicts.GetValueOrDefault(key) + 1;
        if (IsConclusive(pruned) && IsConclusive(unpruned))
        {
            Assert.True(pruned.Passed == unpruned.Passed,
                $"{what}: pruning changed the verdict:\n{VerifierKit.Explain(pruned)}\nwithout pruning:\n{VerifierKit.Explain(unpruned)}\n{Disassembler.Disassemble(code)}");
            if (!pruned.Passed)
            {
                Assert.Equal((unpruned.Diagnostics[0].Code, unpruned.Diagnostics[0].InstructionIndex), (pruned.Diagnostics[0].Code, pruned.Diagnostics[0].InstructionIndex));
            }
        }
    }

    /// <summary>Budget and loop verdicts depend on pruning by design; everything else must not.</summary>
    private static bool IsConclusive(VerificationResult result) =>
        result.Passed || result.Diagnostics[0].Code is not (DiagnosticCodes.VerifierTooComplex or DiagnosticCodes.VerifierInfiniteLoop);

    internal static Instruction[] RandomProgram(Random random, int length)
    {
        var code = new List<Instruction>();
        // Start with every register written (numbers, and pointers to the stack and the context),
        // so that programs get past the first read.
        for (byte r = 0; r < 10; r++)
        {
            if (r == 1)
            {
                continue;
            }
            switch (random.Next(4))
            {
                case 0:
                    code.Add(new Instruction(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Mov, OperandSource.Register), r, 10, 0, 0));
                    code.Add(new Instruction(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Add, OperandSource.Immediate), r, 0, 0, -8 * random.Next(1, 8)));
                    break;
                case 1:
                    code.Add(new Instruction(Opcodes.Memory(InstructionClass.Ldx, MemoryMode.Mem, MemorySize.Byte), r, 1, (short)random.Next(0, 64), 0));
                    break;
                default:
                    code.Add(new Instruction(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Mov, OperandSource.Immediate), r, 0, 0, SmallImm(random)));
                    break;
            }
        }
        length += code.Count;
        while (code.Count < length - 1)
        {
            var remaining = length - 1 - code.Count;
            switch (random.Next(10))
            {
                case 0:
                case 1:
                case 2:
                    {
                        var opcode = AluOpcodes[random.Next(AluOpcodes.Length)];
                        var op = (AluOperation)(opcode & 0xf0);
                        short offset = op is AluOperation.Div or AluOperation.Mod ? (short)random.Next(2) : (short)0;
                        var imm = op is AluOperation.Lsh or AluOperation.Rsh or AluOperation.Arsh ? random.Next(64) : SmallImm(random);
                        if ((opcode & 0x07) == (byte)InstructionClass.Alu && op is AluOperation.Lsh or AluOperation.Rsh or AluOperation.Arsh)
                        {
                            imm &= 31;
                        }
                        var byRegister = (opcode & 0x08) != 0;
                        code.Add(new Instruction(opcode, (byte)random.Next(10), byRegister ? (byte)random.Next(11) : (byte)0, offset, byRegister ? 0 : imm));
                        break;
                    }
                case 3:
                    {
                        var size = (MemorySize)(random.Next(4) << 3);
                        var bytes = size.ByteCount();
                        var baseRegister = (byte)(random.Next(3) switch { 0 => 10, 1 => 1, _ => random.Next(10) });
                        var offset = (short)(baseRegister == 10 ? -bytes * random.Next(1, 12) : random.Next(-8, 72));
                        code.Add(new Instruction(Opcodes.Memory(InstructionClass.Ldx, MemoryMode.Mem, size), (byte)random.Next(10), baseRegister, offset, 0));
                        break;
                    }
                case 4:
                    {
                        var size = (MemorySize)(random.Next(4) << 3);
                        var bytes = size.ByteCount();
                        var baseRegister = (byte)(random.Next(3) == 0 ? random.Next(10) : 10);
                        var offset = (short)(baseRegister == 10 ? -bytes * random.Next(1, 12) : random.Next(-8, 72));
                        if (random.Next(2) == 0)
                        {
                            code.Add(new Instruction(Opcodes.Memory(InstructionClass.Stx, MemoryMode.Mem, size), baseRegister, (byte)random.Next(11), offset, 0));
                        }
                        else
                        {
                            code.Add(new Instruction(Opcodes.Memory(InstructionClass.St, MemoryMode.Mem, size), baseRegister, 0, offset, SmallImm(random)));
                        }
                        break;
                    }
                case 5:
                case 6:
                    {
                        var target = random.Next(-code.Count, remaining);
                        var op = (JumpOperation)(random.Next(1, 14) << 4);
                        if (op is JumpOperation.Call or JumpOperation.Exit)
                        {
                            op = JumpOperation.Ja;
                        }
                        var cls = random.Next(4) == 0 ? InstructionClass.Jmp32 : InstructionClass.Jmp;
                        if (op == JumpOperation.Ja)
                        {
                            code.Add(new Instruction(Opcodes.Ja, 0, 0, (short)target, 0));
                        }
                        else
                        {
                            var byRegister = random.Next(2) == 0;
                            code.Add(new Instruction(Opcodes.Jump(cls, op, byRegister ? OperandSource.Register : OperandSource.Immediate),
                                (byte)random.Next(10), byRegister ? (byte)random.Next(11) : (byte)0, (short)target, byRegister ? 0 : SmallImm(random)));
                        }
                        break;
                    }
                case 7:
                    code.Add(new Instruction(Opcodes.Call, 0, 0, 0, HelperIds[random.Next(HelperIds.Length)]));
                    break;
                case 8 when remaining >= 2:
                    {
                        var src = (byte)(random.Next(3) switch { 0 => 0, 1 => 5, _ => 6 });
                        var map = random.Next(VerifierKit.Maps.Count + 1);
                        code.Add(new Instruction(Opcodes.LoadImm64, (byte)random.Next(10), src, 0, src == 0 ? SmallImm(random) : map));
                        code.Add(new Instruction(0, 0, 0, 0, src == 6 ? random.Next(0, 20) : 0));
                        break;
                    }
                default:
                    code.Add(new Instruction(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Mov, OperandSource.Immediate), 0, 0, 0, SmallImm(random)));
                    if (random.Next(3) == 0 && code.Count < length - 1)
                    {
                        code.Add(new Instruction(Opcodes.Exit, 0, 0, 0, 0));
                    }
                    break;
            }
        }
        code.Add(new Instruction(Opcodes.Exit, 0, 0, 0, 0));
        return [.. code];
    }

    internal static void Mutate(Random random, Instruction[] code)
    {
        var i = random.Next(code.Length);
        var insn = code[i];
        code[i] = random.Next(6) switch
        {
            0 => insn.WithImm(insn.Imm + random.Next(-16, 17)),
            1 => insn.WithOffset((short)(insn.Offset + random.Next(-8, 9))),
            2 => new Instruction(insn.Opcode, (byte)random.Next(11), insn.Src, insn.Offset, insn.Imm),
            3 => new Instruction(insn.Opcode, insn.Dst, (byte)random.Next(11), insn.Offset, insn.Imm),
            4 => new Instruction(AluOpcodes[random.Next(AluOpcodes.Length)], insn.Dst, insn.Src, 0, insn.Imm),
            _ => insn.WithImm(random.Next()),
        };
    }

    private static int SmallImm(Random random) => random.Next(4) switch
    {
        0 => random.Next(-2, 3),
        1 => random.Next(0, 64),
        2 => random.Next(-4096, 4096),
        _ => random.Next(),
    };

    private static byte[] BuildAluOpcodes()
    {
        var opcodes = new List<byte>();
        foreach (var cls in new[] { InstructionClass.Alu, InstructionClass.Alu64 })
        {
            foreach (var op in new[] { AluOperation.Add, AluOperation.Sub, AluOperation.Mul, AluOperation.Div, AluOperation.Or, AluOperation.And,
                AluOperation.Lsh, AluOperation.Rsh, AluOperation.Mod, AluOperation.Xor, AluOperation.Mov, AluOperation.Arsh })
            {
                opcodes.Add(Opcodes.Alu(cls, op, OperandSource.Immediate));
                opcodes.Add(Opcodes.Alu(cls, op, OperandSource.Register));
            }
        }
        return [.. opcodes];
    }
}
