using System.Runtime.InteropServices;
using Bpftime.Diagnostics;
using Bpftime.Helpers;
using Bpftime.Hosting;
using Bpftime.Tests.Maps;

namespace Bpftime.Tests.Hosting;

public class ContextTests
{
    /// <summary>The host's layout of struct packet_info: other offsets than the program was compiled with.</summary>
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

    private static BpfObject Load(string engine, BpfContextType? type) =>
        BpfObject.Load(RealPrograms.PathOf("core_context"), new BpfLoadOptions
        {
            Engine = engine,
            Engines = TestEngines.Registry,
            ReadEnvironment = false,
            Helpers = StandardHelpers.CreateDefault(TraceSink.Discard),
            ContextTypes = type is null ? null : [type],
        });

    [Theory]
    [MemberData(nameof(TestEngines.BytecodeNames), MemberType = typeof(TestEngines))]
    public void CoreRelocationsFollowTheHostsLayout(string engine)
    {
        using var loaded = Load(engine, PacketInfo);
        var context = new HostPacketInfo { Timestamp = 7, Length = 150 };
        Assert.Equal(2502UL, loaded.Programs["classify"].Run(ref context, PacketInfo));
        Assert.Equal(2U, context.Mark);
        context = new HostPacketInfo { Timestamp = 1, Length = 50 };
        Assert.Equal(501UL, loaded.Programs["classify"].Run(ref context));
        Assert.Equal(1U, context.Mark);
    }

    [Theory]
    [MemberData(nameof(TestEngines.BytecodeNames), MemberType = typeof(TestEngines))]
    public void ReadOnlyFieldsAreRestoredAndReported(string engine)
    {
        using var loaded = Load(engine, PacketInfo);
        var context = new HostPacketInfo { Timestamp = 1, Length = 50 };
        var error = Assert.Throws<BpfException>(() => loaded.Programs["tamper"].Run(ref context, PacketInfo));
        Assert.Equal(DiagnosticCodes.ReadOnlyContextFieldWritten, error.Code);
        Assert.Contains("len", error.Message);
        Assert.Equal(50U, context.Length);
    }

    [Fact]
    public void MissingFieldsAreRefusedAtLoadAndSizesChecked()
    {
        var partial = new BpfContextType("packet_info", 16).Field("len", 0, 4);
        var error = Assert.Throws<BpfException>(() => Load("interpreter", partial));
        Assert.Equal(DiagnosticCodes.CoreRelocationUnresolved, error.Code);
        Assert.Contains("declares no field", error.Message);
        using var loaded = Load("interpreter", PacketInfo);
        var wrongSize = 5L;
        Assert.Equal(DiagnosticCodes.InvalidContextType,
            Assert.Throws<BpfException>(() => loaded.Programs["classify"].Run(ref wrongSize, PacketInfo)).Code);
        Assert.Equal(DiagnosticCodes.InvalidContextType,
            Assert.Throws<BpfException>(() => new BpfContextType("x", 4).Field("f", 2, 4)).Code);
    }

    [Fact]
    public void WithoutADeclarationTheProgramsOwnLayoutIsKept()
    {
        using var loaded = Load("interpreter", null);
        var context = new byte[16];
        BitConverter.GetBytes(150U).CopyTo(context, 0);
        Assert.Equal(1502UL, loaded.Programs["classify"].Run(context));
        Assert.Equal(2U, BitConverter.ToUInt32(context, 4));
    }
}
