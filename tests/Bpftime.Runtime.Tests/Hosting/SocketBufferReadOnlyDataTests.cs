using Bpftime.Compiler.Aot;
using Bpftime.Helpers;
using Bpftime.Hosting;
using Bpftime.Objects;
using Bpftime.Tests.Maps;

namespace Bpftime.Tests.Hosting;

/// <summary>
/// Native code proved for a socket buffer, given new .rodata bytes before the load, is verified again
/// for the socket buffer it was compiled for (Linux's __sk_buff rules and the legacy packet loads),
/// not for raw memory: it stays native and sees the host's constant (port_filter.bpf.c).
/// </summary>
public sealed class SocketBufferReadOnlyDataTests
{
    private static string FilterPath => Path.Combine(TestPaths.DataDirectory, "obj", "legacy_packet", "port_filter.bpf.o");

    private static byte[] TcpTo(ushort port)
    {
        var frame = new byte[14 + 20 + 20];
        frame[12] = 0x08;
        frame[14] = 0x45;
        frame[14 + 9] = 6;
        frame[14 + 20 + 2] = (byte)(port >> 8);
        frame[14 + 20 + 3] = (byte)port;
        return frame;
    }

    private static byte[] NativeCode(byte[] bytes)
    {
        var file = ObjectReader.Read(bytes, FilterPath);
        var compilation = AotCompilation.FromObject(file, StandardHelpers.CreateDefault(TraceSink.Discard), bytes) with
        {
            Programs = [.. file.Programs.Select(p => new AotProgramSource(p.Name, p.ToArray()) { Section = p.Section, Verified = true, Proved = true, SocketBuffer = true })],
        };
        return AotCompiler.Compile(compilation).Bytes;
    }

    [Fact]
    public void ProvedNativeCodeForASocketBufferKeepsItsProofWithTheHostsPort()
    {
        Assert.True(TestEngines.All.Any(e => e.Name == BpfLoadOptions.AotEngine), "this test compiles native code and needs libLLVM");
        var bytes = File.ReadAllBytes(FilterPath);
        var embedded = new EmbeddedObject("port_filter", bytes, "port_filter.native.o", NativeCode(bytes));
        var options = new BpfLoadOptions
        {
            Engine = BpfLoadOptions.AotEngine,
            ReadEnvironment = false,
            RequireVerification = true,
            ReadOnlyData = new BpfReadOnlyData().Set(".rodata", BitConverter.GetBytes((ushort)443)),
        };
        using var loaded = BpfObject.LoadEmbedded(embedded, options);
        Assert.True(loaded.IsNativeCode);
        var filter = loaded.Programs["port_only"];
        Assert.True(filter.IsVerified);
        Assert.Equal(BpfContextKind.SocketBuffer, filter.ContextKind);
        Assert.Equal(-1, (int)filter.RunSocketBuffer(TcpTo(443)));
        Assert.Equal(0, (int)filter.RunSocketBuffer(TcpTo(80)));
        Assert.Equal(0, (int)filter.RunSocketBuffer(TcpTo(443).AsSpan(0, 37)));
    }
}
