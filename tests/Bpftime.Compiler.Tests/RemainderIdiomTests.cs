using Bpftime.Compiler.Aot;
using Bpftime.Compiler.LlvmJit;
using Bpftime.Engines;
using Bpftime.Engines.Interpreter;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;

namespace Bpftime.Compiler.Tests;

/// <summary>
/// clang lowers n % d for eBPF as a = n; a /= d; a *= d; b = n; b -= a, which the IR generator turns
/// back into one remainder. Every divisor eBPF defines (0, -1, the most negative value, divisors whose
/// low 32 bits are 0), both widths and signs, and the near misses that must stay a subtraction (a jump
/// into the sequence, b overwriting the divisor) are compared with the interpreter on llvm-jit and aot.
/// </summary>
public sealed class RemainderIdiomTests
{
    private static readonly ulong[] Values =
    [
        0, 1, 7, 100, ulong.MaxValue, 0x8000_0000_0000_0000, 0x7fff_ffff_ffff_ffff, 0x1_0000_0007, 0xffff_ffff,
        0x8000_0000, 0x1_0000_0000, 3, 0xffff_ffff_ffff_fff9,
    ];

    private static readonly IBpfEngine[] Engines = [new LlvmJitEngine(), new AotEngine()];

    public static TheoryData<bool, short> Kinds() => new() { { true, 0 }, { true, 1 }, { false, 0 }, { false, 1 } };

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public void TheRemainderMatchesTheInterpreterForEveryDivisor(bool wide, short signed)
    {
        LlvmRequirement.SkipIfMissing();
        foreach (var n in Values)
        {
            foreach (var d in Values)
            {
                // b = r4, a = r3: r0 folds both so a wrong quotient product shows too.
                Instruction[] code =
                [
                    .. Code.LoadImm64(6, (long)n), .. Code.LoadImm64(7, (long)d),
                    .. Idiom(wide, signed, a: 3, n: 6, d: 7, b: 4),
                    Code.Mov64Reg(0, 4), new(0x67, 3, 0, 0, 17), Code.Alu64Reg(AluOperation.Xor, 0, 3), Code.Exit(),
                ];
                AssertSameAsInterpreter(code, 0, $"n=0x{n:x} d=0x{d:x} wide={wide} signed={signed}");
            }
        }
    }

    [SkippableFact]
    public void AJumpIntoTheSequenceKeepsTheSubtraction()
    {
        LlvmRequirement.SkipIfMissing();
        // With r1 != 0 the jump skips the division: r4 = n - 5, never n % d.
        foreach (var landing in new[] { 3, 4 })
        {
            var body = Idiom(wide: true, signed: 0, a: 3, n: 6, d: 7, b: 4);
            Instruction[] code =
            [
                Code.Mov64(6, 1000), Code.Mov64(7, 7), Code.Mov64(3, 5), Code.Mov64(4, 1000),
                new(0x55, 1, 0, (short)landing, 0), // if r1 != 0 goto the landing-th instruction of the sequence
                .. body,
                Code.Mov64Reg(0, 4), Code.Exit(),
            ];
            AssertSameAsInterpreter(code, 1, $"jump to instruction {landing}");
            AssertSameAsInterpreter(code, 0, $"no jump, landing {landing}");
        }
    }

    [SkippableFact]
    public void ADifferenceWrittenOverTheDivisorIsStillRight()
    {
        LlvmRequirement.SkipIfMissing();
        // b = d: the last copy overwrites the divisor, so b - a cannot be read as n mod (the new) d.
        Instruction[] code =
        [
            Code.Mov64(6, 1000), Code.Mov64(7, 7),
            .. Idiom(wide: true, signed: 0, a: 3, n: 6, d: 7, b: 7),
            Code.Mov64Reg(0, 7), Code.Exit(),
        ];
        AssertSameAsInterpreter(code, 0, "b = d");
        Assert.Equal(1000UL % 7, Interpret(code, 0));
    }

    private static Instruction[] Idiom(bool wide, short signed, int a, int n, int d, int b)
    {
        Instruction Op(AluOperation op, int dst, int src, short offset = 0) =>
            wide ? Code.Alu64Reg(op, dst, src, offset) : Code.Alu32Reg(op, dst, src, offset);
        return
        [
            Op(AluOperation.Mov, a, n), Op(AluOperation.Div, a, d, signed), Op(AluOperation.Mul, a, d),
            Op(AluOperation.Mov, b, n), Op(AluOperation.Sub, b, a),
        ];
    }

    private static ulong Interpret(Instruction[] code, ulong r1)
    {
        using var reference = InterpreterEngine.Instance.Load(Image(code, verified: true), EngineOptions.Default);
        return reference.Execute((nint)r1, 0);
    }

    private static ProgramImage Image(Instruction[] code, bool verified) =>
        new("remainder", code, new HelperTable("none")) { Verified = verified };

    private static void AssertSameAsInterpreter(Instruction[] code, ulong r1, string what)
    {
        var expected = Interpret(code, r1);
        foreach (var engine in Engines)
        {
            foreach (var level in new[] { 0, 3 })
            {
                using var compiled = engine.Load(Image(code, verified: true), new EngineOptions { OptimizationLevel = level });
                var actual = compiled.Execute((nint)r1, 0);
                Assert.True(expected == actual, $"{what}, {engine.Name} O{level}: r0 = 0x{actual:x}, interpreter 0x{expected:x}");
            }
        }
    }
}
