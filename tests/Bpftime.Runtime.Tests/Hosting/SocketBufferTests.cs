using Bpftime.Compiler.Aot;
using Bpftime.Diagnostics;
using Bpftime.Helpers;
using Bpftime.Hosting;
using Bpftime.Objects;
using Bpftime.Tests.Corpus;
using Bpftime.Tests.Maps;

namespace Bpftime.Tests.Hosting;

/// <summary>
/// Socket filter and tc programs that use the legacy packet loads are loaded for a socket buffer and
/// run with RunSocketBuffer, verified (the __sk_buff rules of their type) or checked, on every engine.
/// </summary>
public class SocketBufferTests
{
    private static string FilterPath => Path.Combine(TestPaths.DataDirectory, "obj", "legacy_packet", "socket_filter.bpf.o");

    /// <summary>Ethernet, IPv4 (20-byte header unless <paramref name="ipOptions"/>), then TCP or UDP ports.</summary>
    private static byte[] Frame(byte protocol, ushort destinationPort, int ipOptions = 0, ushort etherType = 0x0800)
    {
        var ipHeader = 20 + ipOptions;
        var frame = new byte[14 + ipHeader + 20];
        frame[12] = (byte)(etherType >> 8);
        frame[13] = (byte)etherType;
        frame[14] = (byte)(0x40 | (ipHeader / 4));
        frame[14 + 8] = 64;
        frame[14 + 9] = protocol;
        frame[14 + ipHeader] = 0xc3; // source port 50000
        frame[14 + ipHeader + 1] = 0x50;
        frame[14 + ipHeader + 2] = (byte)(destinationPort >> 8);
        frame[14 + ipHeader + 3] = (byte)destinationPort;
        return frame;
    }

    public static TheoryData<string, bool> EnginesVerifiedOrNot()
    {
        var data = new TheoryData<string, bool>();
        foreach (var engine in TestEngines.All.Where(e => e.Name != BpfLoadOptions.AotEngine))
        {
            data.Add(engine.Name, true);
            data.Add(engine.Name, false);
        }
        return data;
    }

    private static BpfLoadOptions Options(string engine, bool verify) =>
        new() { Engine = engine, Engines = TestEngines.Registry, ReadEnvironment = false, Verify = verify, RequireVerification = verify };

    [Theory]
    [MemberData(nameof(EnginesVerifiedOrNot))]
    public void ClangsLoadBuiltinsFilterHttpLikeTheKernel(string engine, bool verify)
    {
        // tests/data/c/legacy_packet: load_byte/load_half compile to ld_abs and ld_ind; keeps IPv4 TCP to port 80.
        using var obj = BpfObject.Load(FilterPath, Options(engine, verify));
        var filter = obj.Programs["http_only"];
        Assert.Equal(BpfContextKind.SocketBuffer, filter.ContextKind);
        Assert.Equal(verify, filter.IsVerified);

        Assert.Equal(-1, (int)filter.RunSocketBuffer(Frame(6, 80)));
        Assert.Equal(-1, (int)filter.RunSocketBuffer(Frame(6, 80, ipOptions: 8)));
        Assert.Equal(0, (int)filter.RunSocketBuffer(Frame(6, 443)));
        Assert.Equal(0, (int)filter.RunSocketBuffer(Frame(17, 80)));
        Assert.Equal(0, (int)filter.RunSocketBuffer(Frame(6, 80, etherType: 0x86dd)));
        // Cut before the port: the load of the port is outside the packet and ends the filter with 0.
        Assert.Equal(0, (int)filter.RunSocketBuffer(Frame(6, 80).AsSpan(0, 37)));
        Assert.Equal(0, (int)filter.RunSocketBuffer([]));
    }

    [Theory]
    [MemberData(nameof(EnginesVerifiedOrNot))]
    public void ASocketBufferProgramRunsOnlyOnASocketBuffer(string engine, bool verify)
    {
        using var obj = BpfObject.Load(FilterPath, Options(engine, verify));
        var filter = obj.Programs["http_only"];
        var error = Assert.Throws<BpfException>(() => filter.Run(Frame(6, 80)));
        Assert.Equal(DiagnosticCodes.WrongContextKind, error.Code);
        Assert.Contains("RunSocketBuffer", error.Message, StringComparison.Ordinal);
        Assert.Throws<BpfException>(() => filter.RunXdp(Frame(6, 80)));
    }

    [Theory]
    [MemberData(nameof(TestEngines.BytecodeNames), MemberType = typeof(TestEngines))]
    public void AnXdpProgramIsNotRunOnASocketBuffer(string engine)
    {
        using var buffer = new SocketBuffer();
        buffer.SetPacket(Frame(6, 80));
        using var xdp = BpfObject.Load(Path.Combine(TestPaths.DataDirectory, "obj", "xdp.bpf.o"), Options(engine, verify: false));
        var error = Assert.Throws<BpfException>(() => xdp.Programs.First().Value.RunSocketBuffer(buffer));
        Assert.Equal(DiagnosticCodes.WrongContextKind, error.Code);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void NativeCodeRecordsTheSocketBufferAndRunsOnlyOnOne(bool verified)
    {
        Assert.True(TestEngines.All.Any(e => e.Name == BpfLoadOptions.AotEngine), "this test compiles native code and needs libLLVM");
        var bytes = File.ReadAllBytes(FilterPath);
        var file = ObjectReader.Read(bytes, FilterPath);
        var compilation = AotCompilation.FromObject(file, StandardHelpers.CreateDefault(TraceSink.Discard), bytes) with
        {
            Programs = [.. file.Programs.Select(p => new AotProgramSource(p.Name, p.ToArray()) { Section = p.Section, Verified = verified, Proved = verified, SocketBuffer = true })],
        };
        var compiled = AotCompiler.Compile(compilation).Bytes;
        Assert.True(Bpftime.Linking.Native.AotLinker.ReadMetadata(compiled)!.Programs.Single().SocketBuffer);
        using var native = BpfObject.Load(compiled, new BpfLoadOptions { ReadEnvironment = false }, "socket_filter");
        var filter = native.Programs["http_only"];
        Assert.Equal(BpfLoadOptions.AotEngine, filter.EngineName);
        Assert.Equal(BpfContextKind.SocketBuffer, filter.ContextKind);
        Assert.Equal(verified, filter.IsVerified);
        Assert.Equal(-1, (int)filter.RunSocketBuffer(Frame(6, 80)));
        Assert.Equal(0, (int)filter.RunSocketBuffer(Frame(6, 80).AsSpan(0, 37)));
        Assert.Equal(DiagnosticCodes.WrongContextKind, Assert.Throws<BpfException>(() => filter.Run(new byte[256])).Code);
    }

    [SkippableTheory]
    [MemberData(nameof(EnginesVerifiedOrNot))]
    public void LinuxsSockex1CountsBytesPerIpProtocol(string engine, bool verify)
    {
        var root = CorpusLocation.Directory;
        Skip.If(root is null, CorpusLocation.SkipReason);
        // samples/bpf/sockex1_kern.c: my_map[ip protocol] += skb->len for outgoing packets.
        using var obj = BpfObject.Load(Path.Combine(root, "linux", "sockex1_kern.o"), Options(engine, verify));
        var program = obj.Programs["socket1"];
        Assert.Equal(BpfContextKind.SocketBuffer, program.ContextKind);
        var counts = obj.Maps["my_map"].AsArray<long>();
        using var buffer = new SocketBuffer();

        buffer.SetPacket(Frame(6, 80));
        buffer.PacketType = 4; // PACKET_OUTGOING
        Assert.Equal(0UL, program.RunSocketBuffer(buffer));
        buffer.SetPacket(Frame(17, 53, ipOptions: 4));
        buffer.PacketType = 4;
        program.RunSocketBuffer(buffer);
        program.RunSocketBuffer(buffer);
        buffer.SetPacket(Frame(6, 80));
        buffer.PacketType = 0; // PACKET_HOST: not counted
        program.RunSocketBuffer(buffer);

        Assert.Equal(54, counts[6]);
        Assert.Equal(2 * 58, counts[17]);
        Assert.Equal(0, counts[1]);
    }
}
