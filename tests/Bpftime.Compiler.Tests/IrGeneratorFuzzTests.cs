using Bpftime.Compiler.IrGen;
using Bpftime.Compiler.Llvm;
using Bpftime.Diagnostics;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Isa.Conformance;
using Bpftime.Tests.Conformance;
using Xunit.Abstractions;

namespace Bpftime.Compiler.Tests;

/// <summary>
/// Seeded random and mutated programs: translation either succeeds with IR that LLVM's verifier
/// accepts (checked and unchecked), or fails with a BpfException; nothing else escapes.
/// </summary>
public sealed class IrGeneratorFuzzTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void RandomProgramsOnlyEverFailWithDiagnostics()
    {
        LlvmRequirement.SkipIfMissing();
        var random = new Random(20261125);
        var seeds = new List<Instruction[]>();
        if (ConformanceCases.TestsDirectory is { } directory)
        {
            foreach (var file in Directory.EnumerateFiles(directory, "*.data").Order(StringComparer.Ordinal).Take(80))
            {
                seeds.Add(ConformanceFile.Load(file).Program());
            }
        }
        seeds.Add([Code.Mov64(0, 1), Code.Exit()]);
        var helpers = ConformanceHelpers.Create();
        var machine = LlvmTargets.CreateMachine(LlvmTargets.X86_64Triple, "generic", 3);
        int accepted = 0, refused = 0;
        for (var round = 0; round < 3000; round++)
        {
            var code = round % 3 == 0 ? RandomProgram(random) : Mutate(random, seeds[random.Next(seeds.Count)]);
            foreach (var checkMemory in new[] { false, true })
            {
                var context = LLVM.ContextCreate();
                try
                {
                    var module = LLVM.ModuleCreateWithNameInContext("fuzz", context);
                    try
                    {
                        using (var generator = new IrGenerator(context, module, helpers, mapCount: 2))
                        {
                            generator.AddProgram("fuzz", "entry", code, checkMemory: checkMemory);
                        }
                        Assert.True(LLVM.VerifyModule(module, out var message), $"round {round}: {message}\n{string.Join("\n", code)}");
                        if (accepted++ % 8 == 0)
                        {
                            // Some accepted programs also go through -O3 and code generation.
                            ModuleOptimizer.Optimize(module, machine, 3);
                            Assert.NotEmpty(LLVM.TargetMachineEmitToMemory(machine, module, LLVMCodeGenFileType.LLVMObjectFile, out var error));
                            Assert.Null(error);
                        }
                    }
                    catch (BpfException e)
                    {
                        // BPF30xx, or the refusal every engine gives legacy packet loads (no socket buffer runs here).
                        Assert.True(e.Code.StartsWith("BPF30", StringComparison.Ordinal) || e.Code == DiagnosticCodes.LegacyPacketLoadUnsupported, e.Code);
                        refused++;
                    }
                    finally
                    {
                        LLVM.DisposeModule(module);
                    }
                }
                finally
                {
                    LLVM.ContextDispose(context);
                }
            }
        }
        LLVM.DisposeTargetMachine(machine);
        output.WriteLine($"{accepted} translations accepted and verified, {refused} refused with BPF30xx");
        Assert.True(accepted > 100, $"only {accepted} programs were accepted ({refused} refused)");
        Assert.True(refused > 100, $"only {refused} programs were refused ({accepted} accepted)");
    }

    private static Instruction[] RandomProgram(Random random)
    {
        var code = new Instruction[random.Next(1, 24)];
        for (var i = 0; i < code.Length; i++)
        {
            code[i] = RandomSlot(random);
        }
        code[^1] = random.Next(4) == 0 ? code[^1] : Code.Exit();
        return code;
    }

    private static Instruction RandomSlot(Random random) => new(
        (byte)random.Next(256), (byte)random.Next(16), (byte)random.Next(16),
        (short)random.Next(-8, 8), random.Next(6) == 0 ? random.Next() : random.Next(-8, 64));

    private static Instruction[] Mutate(Random random, Instruction[] seed)
    {
        var code = (Instruction[])seed.Clone();
        for (var n = random.Next(1, 4); n > 0 && code.Length > 0; n--)
        {
            var at = random.Next(code.Length);
            var slot = code[at];
            code[at] = random.Next(5) switch
            {
                0 => RandomSlot(random),
                1 => new Instruction((byte)random.Next(256), slot.Dst, slot.Src, slot.Offset, slot.Imm),
                2 => slot.WithOffset((short)random.Next(-40, 40)),
                3 => slot.WithImm(random.Next(-40, 40)),
                _ => new Instruction(slot.Opcode, (byte)random.Next(16), (byte)random.Next(16), slot.Offset, slot.Imm),
            };
        }
        return code;
    }
}
