using Bpftime.Tests;

namespace Bpftime.Build.Tests;

/// <summary>
/// A socket filter written with legacy packet loads (tests/data/c/legacy_packet/socket_filter.bpf.c: r0 = -1
/// for IPv4 TCP to port 80, else 0) through <c>&lt;BpfProgram&gt;</c>: the build verifies it against
/// __sk_buff and compiles it for a socket buffer, and the skeleton runs it only on one, natively and
/// as bytecode alike.
/// </summary>
[Collection(nameof(BuildCollection))]
public sealed class SocketFilterBuildTests : IDisposable
{
    private readonly string _directory = EndToEnd.CreateAwkwardDirectory("sockfilter");

    public void Dispose() => EndToEnd.DeleteQuietly(_directory);

    private static string SocketFilterObject => Path.Combine(TestPaths.RepositoryRoot, "tests", "data", "obj", "legacy_packet", "socket_filter.bpf.o");

    [Fact]
    public void TheSkeletonRunsTheFilterOnlyOnASocketBuffer()
    {
        Directory.CreateDirectory(Path.Combine(_directory, "bpf"));
        File.Copy(SocketFilterObject, Path.Combine(_directory, "bpf", "socket_filter.bpf.o"));
        File.WriteAllText(Path.Combine(_directory, "app.csproj"), EndToEnd.SourceModeProject("""<BpfProgram Include="bpf/socket_filter.bpf.o" />"""));
        File.WriteAllText(Path.Combine(_directory, "Program.cs"), """
            using System.Buffers.Binary;
            using Bpf;
            using Bpftime.Diagnostics;
            using Bpftime.Hosting;

            // Ethernet, IPv4 with a 20-byte header and protocol TCP, then a TCP header to the port.
            static byte[] Packet(ushort port, int padding = 0)
            {
                var packet = new byte[54 + padding];
                BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(12), 0x0800);
                packet[14] = 0x45;
                packet[23] = 6;
                BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(34), 40000);
                BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(36), port);
                return packet;
            }

            static string Code(Action action)
            {
                try
                {
                    action();
                    return "ran";
                }
                catch (BpfException error)
                {
                    return error.Diagnostic.Code;
                }
            }

            using var filter = SocketFilter.Load();
            var http = filter.HttpOnly;
            var overloads = typeof(SocketFilter.SocketBufferProgram).GetMethods().Where(m => m.Name.StartsWith("Run", StringComparison.Ordinal))
                .Select(m => m.Name + "(" + string.Join(",", m.GetParameters().Select(p => p.ParameterType.Name)) + ")").Order(StringComparer.Ordinal);
            Console.WriteLine($"wrapper: {string.Join(" ", overloads)}");
            Console.WriteLine($"engine: {http.EngineName}, native {filter.Object.IsNativeCode}, verified {http.IsVerified}, context {http.Program.ContextKind}");
            Console.WriteLine($"port 80: {(uint)http.Run(Packet(80)):x}");
            Console.WriteLine($"port 443: {http.Run(Packet(443))}");
            Console.WriteLine($"empty: {http.Run([])}");
            Console.WriteLine($"cut before the port: {http.Run(Packet(80)[..37])}");
            using var buffer = new SocketBuffer(capacity: 64);
            buffer.SetPacket(Packet(80));
            Console.WriteLine($"own buffer: {(uint)http.Run(buffer):x}");
            Console.WriteLine($"over the buffer: {Code(() => buffer.SetPacket(Packet(80, padding: 11)))}");
            Console.WriteLine($"over the thread's buffer: {Code(() => http.Run(Packet(80, padding: 65536)))}");
            Console.WriteLine($"after the refusal: {(uint)http.Run(Packet(80)):x}");
            Console.WriteLine($"raw memory: {Code(() => http.Program.Run(Packet(80)))}");
            """);

        var build = DotNetCommand.Build(_directory);
        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.DoesNotContain("BPF4057", build.ToString(), StringComparison.Ordinal);
        var app = Path.Combine(_directory, "bin", DotNetCommand.BuildConfiguration, "net10.0", "app.dll");
        ExpectOn("aot", native: true, DotNetCommand.Run(_directory, "exec", app));
        ExpectOn("jit", native: false, DotNetCommand.Run(_directory, new Dictionary<string, string> { ["BPFTIME_ENGINE"] = "jit" }, "exec", app));
    }

    private static void ExpectOn(string engine, bool native, DotNetCommand.Result run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        string[] expected =
        [
            // Only the socket-buffer runs: no raw-memory, struct or no-context overload.
            "wrapper: Run(ReadOnlySpan`1) Run(SocketBuffer)",
            $"engine: {engine}, native {native}, verified True, context SocketBuffer",
            "port 80: ffffffff",
            "port 443: 0",
            // Loads outside the packet end the program with r0 = 0, as Linux's.
            "empty: 0",
            "cut before the port: 0",
            "own buffer: ffffffff",
            "over the buffer: BPF4190",
            "over the thread's buffer: BPF4190",
            "after the refusal: ffffffff",
            "raw memory: BPF4117",
        ];
        foreach (var line in expected)
        {
            Assert.True(run.Output.Contains(line, StringComparison.Ordinal), $"expected '{line}' in:\n{run}");
        }
    }
}
