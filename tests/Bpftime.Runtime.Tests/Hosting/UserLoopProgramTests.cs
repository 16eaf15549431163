using System.Buffers.Binary;
using Bpftime.Diagnostics;
using Bpftime.Helpers;
using Bpftime.Hosting;
using Bpftime.Objects;
using Bpftime.Tests.Maps;
using Bpftime.Verification;
using Xunit.Abstractions;

namespace Bpftime.Tests.Hosting;

/// <summary>
/// The loops users write first (tests/data/c/verifier/user_*.bpf.c): primes to 10,000, a 1 MiB copy,
/// a (mem, len) histogram, an IPv4 parser bounded by the header length and a checksum over a payload
/// bounded by its length field (proved through the relation between the index and the length). Each is proved by the
/// loader's default verification (so it runs without run-time checks) and gives the right answer on
/// every engine; the unsafe twin of each is refused at its C line.
/// </summary>
public class UserLoopProgramTests(ITestOutputHelper output)
{
    private const int CopyContextSize = 2 << 20;

    private static string PathOf(string name) => Path.Combine(TestPaths.DataDirectory, "obj", "verifier", name + ".bpf.o");

    private static BpfObject Load(string name, string engine, BpfLoadOptions? options = null) =>
        BpfObject.Load(PathOf(name), (options ?? new BpfLoadOptions()) with
        {
            Engine = engine,
            Engines = TestEngines.Registry,
            ReadEnvironment = false,
            Helpers = StandardHelpers.CreateDefault(TraceSink.Discard),
            RequireVerification = true,
        });

    private BpfProgram Proved(BpfObject loaded)
    {
        var program = Assert.Single(loaded.Programs.Values);
        output.WriteLine($"{program.Name} on {program.EngineName}: {program.Verification}");
        Assert.True(program.IsVerified);
        return program;
    }

    [Theory]
    [MemberData(nameof(TestEngines.BytecodeNames), MemberType = typeof(TestEngines))]
    public void PrimesBelowTenThousandAreCountedVerified(string engine)
    {
        using var loaded = Load("user_primes", engine);
        var program = Proved(loaded);
        Assert.Equal(1229UL, program.Run());
    }

    [Theory]
    [MemberData(nameof(TestEngines.BytecodeNames), MemberType = typeof(TestEngines))]
    public void OneMebibyteIsCopiedVerified(string engine)
    {
        using var loaded = Load("user_copy", engine, new BpfLoadOptions { ContextSize = CopyContextSize });
        var program = Proved(loaded);
        var memory = new byte[CopyContextSize];
        new Random(7).NextBytes(memory.AsSpan(0, CopyContextSize / 2));
        ulong all = 0;
        for (var i = 0; i < CopyContextSize / 2; i += 8)
        {
            all ^= BinaryPrimitives.ReadUInt64LittleEndian(memory.AsSpan(i)) ^ 0x5a5a5a5a5a5a5a5aUL;
        }
        var expectedCopy = memory.AsSpan(0, CopyContextSize / 2).ToArray();
        for (var i = 0; i < expectedCopy.Length; i++)
        {
            expectedCopy[i] ^= 0x5a;
        }

        var result = program.Run(memory);

        Assert.Equal((uint)(all ^ (all >> 32)), (uint)result);
        Assert.True(expectedCopy.AsSpan().SequenceEqual(memory.AsSpan(CopyContextSize / 2)));
    }

    [Theory]
    [MemberData(nameof(TestEngines.BytecodeNames), MemberType = typeof(TestEngines))]
    public void HistogramReadsExactlyTheBufferItIsGiven(string engine)
    {
        using var loaded = Load("user_histogram", engine, new BpfLoadOptions { MemoryWithLength = true });
        var program = Proved(loaded);
        Assert.Equal(BpfContextKind.MemoryWithLength, program.ContextKind);
        foreach (var length in new[] { 0, 1, 15, 1000, 4097 })
        {
            var buffer = new byte[length];
            new Random(length).NextBytes(buffer);
            var buckets = new int[16];
            foreach (var b in buffer)
            {
                buckets[b >> 4]++;
            }
            Assert.Equal((ulong)buckets.Max(), program.Run(buffer));
        }
    }

    [Theory]
    [MemberData(nameof(TestEngines.BytecodeNames), MemberType = typeof(TestEngines))]
    public void ParserBoundsTheHeaderByItsOwnLength(string engine)
    {
        using var loaded = Load("user_parser", engine);
        var program = Proved(loaded);
        Assert.Equal(XdpAction.Pass, program.RunXdp(Packet(ihl: 5, length: 34, last: 0x01)).Action);
        Assert.Equal(XdpAction.Drop, program.RunXdp(Packet(ihl: 5, length: 34, last: 0xff)).Action);
        Assert.Equal(XdpAction.Drop, program.RunXdp(Packet(ihl: 7, length: 42, last: 0xff)).Action);
        Assert.Equal(XdpAction.Pass, program.RunXdp(Packet(ihl: 7, length: 42, last: 0x00)).Action);
        // The header claims more bytes than the packet has, or fewer than an IPv4 header.
        Assert.Equal(XdpAction.Drop, program.RunXdp(Packet(ihl: 15, length: 60, last: 0x00)).Action);
        Assert.Equal(XdpAction.Drop, program.RunXdp(Packet(ihl: 4, length: 34, last: 0x00)).Action);
        Assert.Equal(XdpAction.Pass, program.RunXdp(new byte[20]).Action);
    }

    [Theory]
    [MemberData(nameof(TestEngines.BytecodeNames), MemberType = typeof(TestEngines))]
    public void ChecksumReadsThePayloadItsLengthFieldClaims(string engine)
    {
        // The payload's length is a packet field: the loop's index is bounded only through it.
        using var loaded = Load("user_checksum", engine);
        var program = Proved(loaded);
        Assert.True(program.IsTerminationProven);
        Assert.Equal(XdpAction.Pass, program.RunXdp(Record([1, 2, 3, 4])).Action);
        Assert.Equal(XdpAction.Drop, program.RunXdp(Record([1, 2, 3, 5])).Action);
        Assert.Equal(XdpAction.Pass, program.RunXdp(Record([])).Action);
        // A length field past the packet's end, and a packet too short for the field.
        var truncated = Record([1, 1, 1]);
        truncated[0] = 4;
        Assert.Equal(XdpAction.Drop, program.RunXdp(truncated).Action);
        Assert.Equal(XdpAction.Aborted, program.RunXdp(new byte[3]).Action);
    }

    /// <summary>A record: a 16-bit little-endian length, two bytes of padding, then the payload.</summary>
    private static byte[] Record(byte[] payload)
    {
        var packet = new byte[4 + payload.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(packet, (ushort)payload.Length);
        payload.CopyTo(packet.AsSpan(4));
        return packet;
    }

    /// <summary>Ethernet + IPv4 with <paramref name="ihl"/> words of header; the header's last byte is <paramref name="last"/> when it fits.</summary>
    private static byte[] Packet(int ihl, int length, byte last)
    {
        var packet = new byte[length];
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(12), 0x0800);
        packet[14] = (byte)(0x40 | ihl);
        var end = 14 + ihl * 4 - 1;
        if (end < length)
        {
            packet[end] = last;
        }
        return packet;
    }

    [Theory]
    [InlineData("histogram_past_len", "buckets[mem[i] >> 4]++;")]
    [InlineData("parser_past_header", "return *next == 0xff")]
    [InlineData("copy_past_end", "dst[i] = word;")]
    [InlineData("checksum_past_length", "sum += payload[i];")]
    [InlineData("lookup_past_capacity", "return t->items[want]")]
    public void UnsafeTwinsAreRefusedAtTheirLine(string name, string sourceText)
    {
        var options = name switch
        {
            "histogram_past_len" => new VerifierOptions { Context = ContextLayout.RawMemory(0), ContextLengthInR2 = true },
            "copy_past_end" => new VerifierOptions { Context = ContextLayout.RawMemory(CopyContextSize), ContextSize = CopyContextSize, VariableContextLength = true },
            _ => VerifierOptions.Default,
        };
        var result = Assert.Single(BpfVerifier.Verify(ObjectReader.ReadFile(Path.Combine(TestPaths.DataDirectory, "obj", "verifier", "unsafe", name + ".bpf.o")), options));
        output.WriteLine(string.Join(Environment.NewLine, result.Diagnostics.Select(d => d.ToCanonicalString())));
        Assert.False(result.Passed);
        var error = result.Errors.First();
        Assert.True(error.Code is DiagnosticCodes.VerifierInvalidContextAccess or DiagnosticCodes.VerifierPacketOutOfBounds or DiagnosticCodes.VerifierMapValueOutOfBounds, error.ToCanonicalString());
        var source = File.ReadAllLines(Path.Combine(TestPaths.DataDirectory, "c", "verifier", "unsafe", name + ".bpf.c"));
        Assert.Contains(sourceText, source[error.Line - 1], StringComparison.Ordinal);
    }
}
