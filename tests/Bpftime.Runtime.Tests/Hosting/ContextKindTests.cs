using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Bpftime.Diagnostics;
using Bpftime.Hosting;

namespace Bpftime.Tests.Hosting;

/// <summary>
/// A program runs only with the context it was verified or compiled for: a verified XDP program
/// given ordinary bytes would take them for packet pointers, and one proved for N bytes would read
/// past a shorter buffer. Every Run call checks the kind first, on every engine and on native code.
/// </summary>
public class ContextKindTests
{
    private static string Verifier(string name) => Path.Combine(TestPaths.DataDirectory, "obj", "verifier", name + ".bpf.o");

    [StructLayout(LayoutKind.Sequential, Size = 64)]
    private struct SixtyFourBytes
    {
        public long First;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct HostPacketInfo
    {
        public ulong Timestamp;
        public uint Mark;
        public uint Length;
    }

    private static readonly BpfContextType PacketInfo = new BpfContextType("packet_info", Marshal.SizeOf<HostPacketInfo>())
        .Field("timestamp", 0, 8)
        .Field("mark", 8, 4, writable: true)
        .Field("len", 12, 4);

    /// <summary>An Ethernet + IPv4 + UDP frame of 42 bytes to <paramref name="port"/>.</summary>
    private static byte[] UdpFrame(ushort port)
    {
        var frame = new byte[14 + 20 + 8];
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        frame[14] = 0x45;
        frame[14 + 9] = 17;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14 + 20 + 2), port);
        return frame;
    }

    private static void AssertWrongKind(Action run, string rightCall)
    {
        var error = Assert.Throws<BpfException>(run);
        Assert.Equal(DiagnosticCodes.WrongContextKind, error.Diagnostic.Code);
        Assert.Contains(rightCall, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(HostingEngines.WithNative), MemberType = typeof(HostingEngines))]
    public void AVerifiedXdpProgramRunsOnlyOnAnXdpFrame(string engine)
    {
        using var loaded = HostingEngines.Load(Verifier("xdp_parse"), engine);
        var program = loaded.Programs["xdp_udp_ports"];
        Assert.True(program.IsVerified);
        Assert.Equal(BpfContextKind.XdpFrame, program.ContextKind);
        var counts = loaded.Maps["port_counts"].AsArray<ulong>();

        // An ordinary 42-byte frame as a span: its first bytes would be taken for data and data_end.
        var frame = UdpFrame(0x1234);
        AssertWrongKind(() => program.Run(frame), "RunXdp");
        AssertWrongKind(() => program.Run(), "RunXdp");
        var context = new SixtyFourBytes { First = 0x7fff_0000_1000 };
        AssertWrongKind(() => program.Run(ref context), "RunXdp");
        Assert.Equal(0UL, counts.GetRef(0x34));

        Assert.Equal(XdpAction.Pass, program.RunXdp(frame).Action);
        Assert.Equal(1UL, counts.GetRef(0x34));
    }

    [Theory]
    [MemberData(nameof(HostingEngines.WithNative), MemberType = typeof(HostingEngines))]
    public void ARawMemoryProgramRefusesXdpFramesAndShortStructs(string engine)
    {
        using var loaded = HostingEngines.Load(Verifier("memcpy"), engine, contextSize: 64);
        var program = loaded.Programs["memcpy_prog"];
        Assert.True(program.IsVerified);
        Assert.Equal(BpfContextKind.RawMemory, program.ContextKind);
        Assert.Equal(64, program.ContextSize);

        AssertWrongKind(() => program.RunXdp(new byte[64]), "Run(span)");
        // A 4-byte struct for a program proved for 64 bytes: it would read 28 bytes beyond it.
        var small = 0x01010101;
        Assert.Equal(DiagnosticCodes.ContextTooSmall, Assert.Throws<BpfException>(() => program.Run(ref small)).Diagnostic.Code);
        Assert.Equal(DiagnosticCodes.ContextTooSmall, Assert.Throws<BpfException>(() => program.Run(new byte[8])).Diagnostic.Code);
        Assert.Equal(DiagnosticCodes.ContextTooSmall, Assert.Throws<BpfException>(() => program.Run()).Diagnostic.Code);

        var context = new SixtyFourBytes { First = 0x0102 };
        Assert.Equal(3UL, program.Run(ref context));
        Assert.Equal(32UL * 5, program.Run(Enumerable.Repeat((byte)5, 64).ToArray()));
    }

    [Theory]
    [MemberData(nameof(Maps.TestEngines.BytecodeNames), MemberType = typeof(Maps.TestEngines))]
    public void AHostStructProgramRunsOnlyOnThatStruct(string engine)
    {
        using var loaded = HostingEngines.Load(RealPrograms.PathOf("core_context"), engine,
            options: HostingEngines.Options(engine) with { ContextTypes = [PacketInfo] });
        var program = loaded.Programs["classify"];
        Assert.True(program.IsVerified);
        Assert.Equal(BpfContextKind.HostStruct, program.ContextKind);
        Assert.Equal("packet_info", program.ContextTypeName);

        AssertWrongKind(() => program.Run(new byte[16]), "Run(ref context, type)");
        AssertWrongKind(() => program.RunXdp(new byte[16]), "Run(ref context, type)");
        var other = new BpfContextType("other_info", 16).Field("len", 12, 4);
        var context = new HostPacketInfo { Timestamp = 7, Length = 150 };
        AssertWrongKind(() => program.Run(ref context, other), "packet_info");
        var tooSmall = 150L;
        AssertWrongKind(() => program.Run(ref tooSmall), "16-byte struct");

        Assert.Equal(2502UL, program.Run(ref context, PacketInfo));
        Assert.Equal(2U, context.Mark);
    }

    [Theory]
    [MemberData(nameof(Maps.TestEngines.BytecodeNames), MemberType = typeof(Maps.TestEngines))]
    public void CheckedProgramsKeepTheKindRulesToo(string engine)
    {
        using var loaded = HostingEngines.Load(Verifier("xdp_parse"), engine, options: HostingEngines.Options(engine) with { Verify = false });
        var program = loaded.Programs["xdp_udp_ports"];
        Assert.False(program.IsVerified);
        Assert.Equal(BpfContextKind.XdpFrame, program.ContextKind);
        AssertWrongKind(() => program.Run(UdpFrame(80)), "RunXdp");
        Assert.Equal(XdpAction.Pass, program.RunXdp(UdpFrame(80)).Action);
    }

    [Fact]
    public void AProgramProvedNotToReadItsContextRunsWithAnyOrNone()
    {
        // r0 = 7; exit, as raw bytecode: it never touches r1.
        byte[] code = [0xb7, 0x00, 0, 0, 7, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0];
        using var loaded = BpfObject.Load(code, HostingEngines.Options("interpreter"));
        var program = loaded.Programs.Values.First();
        Assert.True(program.IsVerified, string.Join("\n", program.VerificationDiagnostics));
        Assert.Equal(BpfContextKind.None, program.ContextKind);
        Assert.Equal(7UL, program.Run());
        Assert.Equal(7UL, program.Run(new byte[3]));
        AssertWrongKind(() => program.RunXdp(new byte[20]), "Run()");
    }
}
