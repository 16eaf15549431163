using Bpftime.Diagnostics;
using Bpftime.Isa;
using Bpftime.Objects;
using Bpftime.Verification;
using static Bpftime.Tests.Engines.X64.Bpf;

namespace Bpftime.Tests.Verification;

/// <summary>
/// ld_abs / ld_ind under Linux's rules: socket filter and tc programs only, r6 the unmoved context, r1-r5
/// clobbered, r0 the loaded bytes; never where a failed load's early exit would leave a lock or a record
/// held, nor inside a subprogram.
/// </summary>
public class LegacyPacketVerifierTests
{
    private static Instruction LdAbs(MemorySize size, int imm) => new((byte)(0x20 | (int)size), 0, 0, 0, imm);

    private static Instruction LdInd(MemorySize size, int src, int imm) => new((byte)(0x40 | (int)size), 0, (byte)src, 0, imm);

    private static VerificationResult Verify(Instruction[] code, ProgramType type = ProgramType.SocketFilter) =>
        BpfVerifier.Verify(new BpfProgramInfo("legacy", "socket", type, code), VerifierKit.Maps, new VerifierOptions { ContextSize = 64 });

    /// <summary>The classic filter: keep IPv4 TCP, reading the ethertype, the protocol and a port (with ld_ind).</summary>
    private static Instruction[] Filter() =>
    [
        Mov64Reg(6, 1),
        LdAbs(MemorySize.Half, 12),
        Jmp(JumpOperation.Jne, 0, 0x0800, 7),
        LdAbs(MemorySize.Byte, 23),
        Jmp(JumpOperation.Jne, 0, 6, 5),
        LdAbs(MemorySize.Byte, 14),
        Alu64(AluOperation.And, 0, 0x0f),
        Alu64(AluOperation.Lsh, 0, 2),
        Mov64Reg(7, 0),
        LdInd(MemorySize.Word, 7, 14),
        Exit(),
    ];

    [Theory]
    [InlineData(ProgramType.SocketFilter)]
    [InlineData(ProgramType.SchedClassifier)]
    [InlineData(ProgramType.SchedAction)]
    public void SocketBufferProgramsMayUseThem(ProgramType type) => VerifierKit.AssertPasses(Verify(Filter(), type));

    [Theory]
    [InlineData(ProgramType.Xdp)]
    [InlineData(ProgramType.Kprobe)]
    [InlineData(ProgramType.CgroupSkb)]
    [InlineData(ProgramType.Unspecified)]
    public void OtherProgramTypesMayNot(ProgramType type)
    {
        var error = VerifierKit.AssertRefused(Verify(Filter(), type), DiagnosticCodes.VerifierLegacyPacketLoad, 1);
        Assert.Contains(type.ToString(), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheLoadedValueIsBoundedBySize()
    {
        // A byte indexes a 256-byte stack array: in bounds only because r0 <= 255.
        Instruction[] code =
        [
            Mov64Reg(6, 1),
            St(MemorySize.DoubleWord, 10, -8, 0),
            LdAbs(MemorySize.Byte, 0),
            Alu64(AluOperation.And, 0, 7),
            Mov64Reg(1, 10),
            Alu64(AluOperation.Add, 1, -8),
            Alu64Reg(AluOperation.Add, 1, 0),
            Ldx(MemorySize.Byte, 0, 1, 0),
            Exit(),
        ];
        VerifierKit.AssertPasses(Verify(code));
        // Without the mask, a whole byte may reach past the 8 initialised bytes.
        Assert.False(Verify([.. code[..3], .. code[4..]]).Passed);
    }

    [Fact]
    public void R1ToR5AreClobbered()
    {
        Instruction[] code = [Mov64Reg(6, 1), Mov64(2, 5), LdAbs(MemorySize.Byte, 0), Mov64Reg(0, 2), Exit()];
        VerifierKit.AssertRefused(Verify(code), DiagnosticCodes.VerifierUninitializedRegister, 3);
    }

    [Fact]
    public void R6MustBeTheUnmovedContext()
    {
        VerifierKit.AssertRefused(Verify([Mov64(6, 0), LdAbs(MemorySize.Byte, 0), Exit()]), DiagnosticCodes.VerifierLegacyPacketLoad, 1);
        VerifierKit.AssertRefused(Verify([Mov64Reg(6, 1), Alu64(AluOperation.Add, 6, 4), LdAbs(MemorySize.Byte, 0), Exit()]), DiagnosticCodes.VerifierLegacyPacketLoad, 2);
        VerifierKit.AssertRefused(Verify([Mov64Reg(6, 10), LdAbs(MemorySize.Byte, 0), Exit()]), DiagnosticCodes.VerifierLegacyPacketLoad, 1);
        Assert.False(Verify([LdAbs(MemorySize.Byte, 0), Exit()]).Passed);
    }

    [Fact]
    public void LdIndTakesANumberNotAPointer()
    {
        VerifierKit.AssertRefused(Verify([Mov64Reg(6, 1), Mov64Reg(7, 10), LdInd(MemorySize.Byte, 7, 0), Exit()]), DiagnosticCodes.VerifierPointerLeak, 2);
        Assert.False(Verify([Mov64Reg(6, 1), LdInd(MemorySize.Byte, 7, 0), Exit()]).Passed);
    }

    [Fact]
    public void NotInsideASubprogram()
    {
        // main: r6 = ctx; call sub; exit. sub: ld_abs; exit.
        Instruction[] code = [Mov64Reg(6, 1), CallLocal(1), Exit(), LdAbs(MemorySize.Byte, 0), Exit()];
        VerifierKit.AssertRefused(Verify(code), DiagnosticCodes.VerifierLegacyPacketLoad, 3);
    }

    [Fact]
    public void NotWhileARingBufferRecordIsHeld()
    {
        // r0 = ringbuf_reserve(&events, 8, 0); if r0 == 0 exit; ld_abs (could end the program holding it); discard.
        Instruction[] code =
        [
            Mov64Reg(6, 1),
            .. LdImm64(1, 2, src: (byte)LoadImm64Source.MapByIndex),
            Mov64(2, 8),
            Mov64(3, 0),
            Call(131),
            Jmp(JumpOperation.Jne, 0, 0, 2),
            Mov64(0, 0),
            Exit(),
            Mov64Reg(7, 0),
            LdAbs(MemorySize.Byte, 0),
            Mov64Reg(1, 7),
            Mov64(2, 0),
            Call(133),
            Mov64(0, 0),
            Exit(),
        ];
        var error = VerifierKit.AssertRefused(Verify(code), DiagnosticCodes.VerifierLegacyPacketLoad, 10);
        Assert.Contains("record", error.Message, StringComparison.Ordinal);
    }
}
