using System.Buffers.Binary;
using System.Text.Json;
using Bpftime.Linking.Native;

namespace Bpftime.Tests.Tool.Commands;

/// <summary>
/// compile and run of a socket filter written with legacy packet loads (tests/data/c/legacy_packet/socket_filter.bpf.c:
/// keeps IPv4 TCP packets to port 80, r0 = -1, drops the rest, r0 = 0): compiled for a socket buffer and
/// recorded so, run on one holding the --mem bytes as its packet, never on raw memory.
/// </summary>
public sealed class SocketFilterCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("bpftime-sockfilter-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string SocketFilter => ToolRunner.DataFile("obj", "legacy_packet", "socket_filter.bpf.o");

    /// <summary>Ethernet, IPv4 (header of <paramref name="ihl"/> words, protocol TCP), then a TCP header to <paramref name="port"/>; cut to <paramref name="length"/> bytes when given.</summary>
    private string Packet(string name, ushort port, byte ihl = 5, int? length = null, int padding = 0)
    {
        var ipLength = ihl * 4;
        var packet = new byte[14 + ipLength + 20 + padding];
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(12), 0x0800);
        packet[14] = (byte)(0x40 | ihl);
        packet[14 + 8] = 64;
        packet[14 + 9] = 6;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(14 + ipLength), 40000);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(14 + ipLength + 2), port);
        var path = Path.Combine(_directory, name);
        File.WriteAllBytes(path, length is { } cut ? packet[..cut] : packet);
        return path;
    }

    private static (ulong Result, bool Verified) Run(params string[] args)
    {
        var result = ToolRunner.Run(["run", .. args, "--json"]);
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        var json = JsonDocument.Parse(result.Output).RootElement;
        return (json.GetProperty("result_value").GetUInt64(), json.GetProperty("verified").GetBoolean());
    }

    [Theory]
    [InlineData("auto", true)]
    [InlineData("on", false)]
    public void CompiledForASocketBufferItRunsOnThePacket(string checks, bool proved)
    {
        var native = Path.Combine(_directory, $"filter-{checks}.o");
        var compile = ToolRunner.Run(["compile", SocketFilter, "-o", native, "--memory-checks", checks]);
        Assert.True(compile.ExitCode == 0, compile.Output + compile.Error);
        Assert.Equal("", compile.Error);
        var recorded = Assert.Single(AotLinker.ReadMetadata(File.ReadAllBytes(native), native)!.Programs);
        Assert.True(recorded.SocketBuffer);
        Assert.Equal(proved, recorded.Proved);
        Assert.Equal(!proved, recorded.Checked);
        Assert.Null(recorded.ContextSize);

        var http = Run(native, "--mem", Packet("http", 80));
        Assert.Equal(0xffffffffu, (uint)http.Result);
        Assert.Equal(proved, http.Verified);
        Assert.Equal(0UL, Run(native, "--mem", Packet("https", 443)).Result);
    }

    [Theory]
    [InlineData("interpreter")]
    [InlineData("jit")]
    public void TheBytecodeIsVerifiedForTheSocketBufferAndFilters(string engine)
    {
        var http = Run(SocketFilter, "--engine", engine, "--verify", "--mem", Packet("http", 80));
        Assert.True(http.Verified);
        Assert.Equal(0xffffffffu, (uint)http.Result);
        Assert.Equal(0UL, Run(SocketFilter, "--engine", engine, "--verify", "--mem", Packet("https", 443)).Result);
    }

    /// <summary>Loads past the packet's end end the program with r0 = 0 (as Linux's), whatever the headers claim; nothing beyond the packet is read.</summary>
    [Theory]
    [InlineData("interpreter")]
    [InlineData("jit")]
    [InlineData("aot")]
    public void HostilePacketsAreDroppedNotOverread(string engine)
    {
        // No packet at all: the first load is out of it.
        Assert.Equal(0UL, Run(SocketFilter, "--engine", engine).Result);
        // The port's first byte is in the packet, its second is not.
        Assert.Equal(0UL, Run(SocketFilter, "--engine", engine, "--mem", Packet("cut", 80, length: 14 + 20 + 3)).Result);
        // An IP header that claims 60 bytes pushes the port past the end of a packet that has only 20.
        var lying = Packet("lying", 80, ihl: 15, length: 14 + 20 + 20);
        Assert.Equal(0UL, Run(SocketFilter, "--engine", engine, "--mem", lying).Result);
    }

    /// <summary>The socket buffer is made to hold the input: a packet larger than the 64 KiB default still runs, read to its end.</summary>
    [Fact]
    public void APacketLargerThanTheDefaultBufferRuns()
    {
        var jumbo = Packet("jumbo", 80, ihl: 5, padding: 100_000);
        Assert.Equal(0xffffffffu, (uint)Run(SocketFilter, "--engine", "jit", "--mem", jumbo).Result);
    }
}
