using Bpftime.Compiler.IrGen;
using Bpftime.Compiler.Llvm;
using Bpftime.Diagnostics;
using Bpftime.Helpers;
using Bpftime.Isa;

namespace Bpftime.Compiler.Tests;

/// <summary>
/// ld_abs / ld_ind become inline IR for programs on a socket buffer: the module verifies before and after
/// -O3, and verified code calls nothing but LLVM intrinsics (no transition to the runtime for the bounds
/// check or the out-of-packet exit). Without a socket buffer they are refused (BPF4057).
/// </summary>
public sealed class LegacyPacketIrTests
{
    public static TheoryData<byte, bool> Loads()
    {
        var data = new TheoryData<byte, bool>();
        foreach (var opcode in new byte[] { 0x20, 0x28, 0x30, 0x40, 0x48, 0x50 })
        {
            data.Add(opcode, true);
            data.Add(opcode, false);
        }
        return data;
    }

    private static Instruction[] Program(byte opcode) =>
    [
        new(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Mov, OperandSource.Register), 6, 1, 0, 0),
        new(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Mov, OperandSource.Immediate), 7, 0, 0, 3),
        new(opcode, 0, (byte)((opcode & 0xe0) == 0x40 ? 7 : 0), 0, 12),
        new(Opcodes.Exit, 0, 0, 0, 0),
    ];

    [SkippableTheory]
    [MemberData(nameof(Loads))]
    public void CompilesInlineAndVerifies(byte opcode, bool verified)
    {
        LlvmRequirement.SkipIfMissing();
        var text = Compile(Program(opcode), verified, socketBuffer: true);
        // The bounds check survives optimisation: the offset is a constant, the packet's length is not.
        Assert.Contains("icmp", text, StringComparison.Ordinal);
        if (verified)
        {
            var calls = text.Split('\n').Where(line => line.Contains(" call ", StringComparison.Ordinal)).ToList();
            Assert.All(calls, line => Assert.Contains("@llvm.", line, StringComparison.Ordinal));
            if ((opcode & 0x18) != 0x10)
            {
                Assert.Contains(calls, line => line.Contains("@llvm.bswap", StringComparison.Ordinal));
            }
        }
    }

    [SkippableFact]
    public void IsRefusedWithoutASocketBuffer()
    {
        LlvmRequirement.SkipIfMissing();
        var error = Assert.Throws<BpfException>(() => Compile(Program(0x28), verified: true, socketBuffer: false));
        Assert.Equal(DiagnosticCodes.LegacyPacketLoadUnsupported, error.Code);
        Assert.Equal(2, error.Diagnostic.InstructionIndex);
    }

    /// <summary>The module's text after -O3, checked by LLVM's verifier before and after.</summary>
    private static string Compile(Instruction[] code, bool verified, bool socketBuffer)
    {
        var context = LLVM.ContextCreate();
        var machine = LlvmTargets.CreateMachine(LlvmTargets.HostTriple, "generic", 3);
        try
        {
            var module = LLVM.ModuleCreateWithNameInContext("legacy", context);
            try
            {
                using (var generator = new IrGenerator(context, module, StandardHelpers.CreateDefault(), 0))
                {
                    generator.AddProgram("legacy", "entry", code, checkMemory: !verified, socketBuffer: socketBuffer);
                }
                Assert.True(LLVM.VerifyModule(module, out var before), before);
                ModuleOptimizer.Optimize(module, machine, 3);
                Assert.True(LLVM.VerifyModule(module, out var after), after);
                return LLVM.PrintModuleToString(module);
            }
            finally
            {
                LLVM.DisposeModule(module);
            }
        }
        finally
        {
            LLVM.DisposeTargetMachine(machine);
            LLVM.ContextDispose(context);
        }
    }
}
