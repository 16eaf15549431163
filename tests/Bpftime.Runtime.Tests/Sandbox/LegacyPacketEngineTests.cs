using System.Buffers.Binary;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Helpers;
using Bpftime.Hosting;
using Bpftime.Isa;
using Bpftime.Tests.Maps;
using static Bpftime.Tests.Engines.X64.Bpf;

namespace Bpftime.Tests.Sandbox;

/// <summary>
/// ld_abs / ld_ind read the socket buffer r6 points to. On a program loaded for a socket buffer every
/// engine, checked or verified, reads only inside the packet: an offset outside [0, len - size] (negative,
/// near int.MaxValue, wrapping in 32 bits, or one byte short) ends the program with r0 = 0, and in
/// checked code a forged r6 or rewritten data/data_end faults rather than reading elsewhere. Loaded for
/// any other context, the loads are refused (BPF4057).
/// </summary>
public class LegacyPacketEngineTests
{
    private const byte Abs = 0x20;
    private const byte Ind = 0x40;

    public static TheoryData<string, bool, int> Cases()
    {
        var data = new TheoryData<string, bool, int>();
        foreach (var engine in TestEngines.All)
        {
            foreach (var verified in new[] { false, true })
            {
                for (var program = 0; program < Programs.Length; program++)
                {
                    data.Add(engine.Name, verified, program);
                }
            }
        }
        return data;
    }

    public static TheoryData<string, bool> EnginesVerifiedOrNot()
    {
        var data = new TheoryData<string, bool>();
        foreach (var engine in TestEngines.All)
        {
            data.Add(engine.Name, false);
            data.Add(engine.Name, true);
        }
        return data;
    }

    /// <summary>Offsets a host read would need: far past any buffer, negative, and from a register the program controls.</summary>
    private static readonly Instruction[][] Programs =
    [
        [Mov64Reg(6, 1), new Instruction(0x20, 0, 0, 0, 0x7fff_fff0), Exit()],
        [Mov64Reg(6, 1), new Instruction(0x30, 0, 0, 0, -0x200000), Exit()],
        [Mov64Reg(6, 10), Mov64(7, 4096), new Instruction(0x48, 0, 7, 0, 0), Exit()],
        [Mov64(6, 0), .. LdImm64(7, unchecked((long)0xffff_8000_0000_0000)), new Instruction(0x50, 0, 7, 0, 16), Mov64(0, 1), Exit()],
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryEngineRefusesThemOnAContextThatIsNotASocketBuffer(string engine, bool verified, int program)
    {
        var code = Programs[program];
        var image = new ProgramImage("legacy", code, StandardHelpers.CreateDefault()) { Verified = verified };
        var error = Assert.Throws<BpfException>(() => TestEngines.Get(engine).Load(image, EngineOptions.Default));
        Assert.Equal(DiagnosticCodes.LegacyPacketLoadUnsupported, error.Code);
        var legacy = Array.FindIndex(code, ProgramValidator.IsLegacyPacketLoad);
        Assert.Equal(legacy, error.Diagnostic.InstructionIndex);
        Assert.Contains("RunSocketBuffer", error.Diagnostic.Message, StringComparison.Ordinal);
        Assert.Contains("data_end", error.Diagnostic.Message, StringComparison.Ordinal);
    }

    /// <summary>16 bytes of packet, and behind them in the buffer 48 bytes a read past the end would see.</summary>
    private static readonly byte[] Packet = [.. Enumerable.Range(0, 16).Select(i => (byte)(0x10 + i))];

    /// <summary>(opcode, src value, imm): the loaded value + 1 when in bounds, 0 when the program ended.</summary>
    public static TheoryData<string, bool, byte, long, int> Offsets()
    {
        (byte, long, int)[] cases =
        [
            (Abs | 0x00, 0, 12), // W: the last 4 bytes exactly
            (Abs | 0x00, 0, 13), // W at len - 3: one byte past the end
            (Abs | 0x00, 0, 15), // W at len - 1
            (Abs | 0x08, 0, 14), // H at len - 2
            (Abs | 0x08, 0, 15), // H at len - 1
            (Abs | 0x10, 0, 15), // B at len - 1
            (Abs | 0x10, 0, 16), // B at len
            (Abs | 0x10, 0, -1),
            (Abs | 0x10, 0, -0x100000), // SKF_NET_OFF: no ancillary areas here
            (Abs | 0x00, 0, -0x200000), // SKF_LL_OFF
            (Abs | 0x10, 0, int.MinValue),
            (Abs | 0x00, 0, int.MaxValue),
            (Abs | 0x00, 0, int.MaxValue - 3),
            (Abs | 0x10, 0, int.MaxValue),
            (Ind | 0x10, 0xffff_ffff, 1), // src + imm wraps in 32 bits to 0: in bounds, as on Linux
            (Ind | 0x00, 0x8000_0000, int.MinValue), // wraps to 0
            (Ind | 0x10, 0x7fff_ffff, 1), // 0x80000000: negative
            (Ind | 0x00, 0x7fff_ffff, int.MaxValue), // wraps to -2
            (Ind | 0x10, 0x1_0000_0002, 0), // only the low 32 bits of src count: offset 2
            (Ind | 0x08, -1, 15), // 14
            (Ind | 0x08, -1, 16), // 15: one byte short
            (Ind | 0x00, 4096, -4084), // 12
            (Ind | 0x00, 0, -4),
            (Ind | 0x10, unchecked((long)0xffff_ffff_0000_0010), 0), // 16: just past the end
        ];
        var data = new TheoryData<string, bool, byte, long, int>();
        foreach (var engine in TestEngines.All)
        {
            foreach (var verified in new[] { false, true })
            {
                foreach (var (opcode, src, imm) in cases)
                {
                    data.Add(engine.Name, verified, opcode, src, imm);
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Offsets))]
    public void OffsetsOutsideThePacketEndTheProgramWithZero(string engine, bool verified, byte opcode, long src, int imm)
    {
        using var buffer = new SocketBuffer(capacity: 64);
        // Bytes past the packet that a read beyond its end would pick up.
        buffer.SetPacket(Enumerable.Repeat((byte)0xaa, 64).ToArray());
        buffer.SetPacket(Packet);
        Instruction[] code = [Mov64Reg(6, 1), .. LdImm64(7, src), new Instruction(opcode, 0, 7, 0, imm), Alu64(AluOperation.Add, 0, 1), Exit()];
        if ((opcode & 0xe0) == Abs)
        {
            code[3] = new Instruction(opcode, 0, 0, 0, imm);
        }
        var size = (opcode & 0x18) switch { 0x00 => 4, 0x08 => 2, _ => 1 };
        // Linux's offset: imm, or the low 32 bits of src plus imm, wrapping in 32 bits, read as signed.
        long offset = (opcode & 0xe0) == Abs ? imm : (int)(uint)(((ulong)src + (ulong)(uint)imm) & 0xffff_ffff);
        ulong expected = 0;
        if (offset >= 0 && offset + size <= Packet.Length)
        {
            var bytes = Packet.AsSpan((int)offset, size);
            expected = 1 + size switch { 1 => bytes[0], 2 => BinaryPrimitives.ReadUInt16BigEndian(bytes), _ => (ulong)BinaryPrimitives.ReadUInt32BigEndian(bytes) };
        }
        Assert.Equal(expected, Run(engine, verified, code, buffer));
    }

    [Theory]
    [MemberData(nameof(EnginesVerifiedOrNot))]
    public void AnOutOfBoundsLoadInASubprogramEndsTheWholeProgram(string engine, bool verified)
    {
        using var buffer = new SocketBuffer(capacity: 64);
        buffer.SetPacket(Packet);
        // The caller would add 100; the subprogram's load at offset 1000 ends everything with 0. (r6 is
        // set in the subprogram: a function's r6-r9 are its own.)
        Instruction[] code = [CallLocal(2), Alu64(AluOperation.Add, 0, 100), Exit(), Mov64Reg(6, 1), new Instruction(0x30, 0, 0, 0, 1000), Mov64(0, 7), Exit()];
        Assert.Equal(0UL, Run(engine, verified, code, buffer));
        code[4] = new Instruction(0x30, 0, 0, 0, 3);
        Assert.Equal(107UL, Run(engine, verified, code, buffer));
    }

    [Theory]
    [MemberData(nameof(TestEngines.CheckedNames), MemberType = typeof(TestEngines))]
    public void CheckedCodeFaultsOnAnR6ThatIsNotTheSocketBuffer(string engine)
    {
        using var buffer = new SocketBuffer(capacity: 64);
        buffer.SetPacket(Packet);
        // r6 = 0: data and data_end cannot be read.
        Instruction[] nullContext = [Mov64(6, 0), new Instruction(0x30, 0, 0, 0, 0), Exit()];
        Assert.StartsWith("BPF4", Assert.Throws<BpfException>(() => Run(engine, false, nullContext, buffer)).Code, StringComparison.Ordinal);

        // r6 = a forged __sk_buff on the stack whose data is address 16 and data_end 0xffffffff.
        Instruction[] forged =
        [
            St(MemorySize.Word, 10, -192 + SocketBufferLayout.Data, 16),
            St(MemorySize.Word, 10, -192 + SocketBufferLayout.DataEnd, -1),
            Mov64Reg(6, 10), Alu64(AluOperation.Add, 6, -192),
            new Instruction(0x20, 0, 0, 0, 0), Exit(),
        ];
        Assert.StartsWith("BPF4", Assert.Throws<BpfException>(() => Run(engine, false, forged, buffer)).Code, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestEngines.CheckedNames), MemberType = typeof(TestEngines))]
    public void CheckedCodeThatRewritesDataEndStillCannotReadPastTheBuffer(string engine)
    {
        using var buffer = new SocketBuffer(capacity: 64);
        buffer.SetPacket(Packet);
        // data_end = 0xffffffff passes the length test; the read itself, 1 MiB past data, is outside every region.
        Instruction[] code = [Mov64Reg(6, 1), St(MemorySize.Word, 1, SocketBufferLayout.DataEnd, -1), new Instruction(0x30, 0, 0, 0, 1 << 20), Exit()];
        Assert.StartsWith("BPF4", Assert.Throws<BpfException>(() => Run(engine, false, code, buffer)).Code, StringComparison.Ordinal);
        // The next run starts from the host's bounds again.
        Instruction[] read = [Mov64Reg(6, 1), new Instruction(0x28, 0, 0, 0, 0), Exit()];
        Assert.Equal(0x1011UL, Run(engine, true, read, buffer));
    }

    private static ulong Run(string engine, bool verified, Instruction[] code, SocketBuffer buffer)
    {
        var image = new ProgramImage("legacy", code, StandardHelpers.CreateDefault()) { Verified = verified, SocketBuffer = true };
        using var executable = TestEngines.Get(engine).Load(image, EngineOptions.Default);
        buffer.RestoreBounds();
        return executable.Execute(buffer.Context, buffer.ContextLength);
    }
}
