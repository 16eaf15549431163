using System.Buffers.Binary;
using Bpftime.Engines;
using Bpftime.Helpers;
using Bpftime.Hosting;
using Bpftime.Isa;
using Bpftime.Tests.Maps;
using static Bpftime.Tests.Engines.X64.Bpf;

namespace Bpftime.Tests.Sandbox;

/// <summary>
/// Random chains of ld_abs / ld_ind over random packets: every engine, checked and verified, gives the
/// interpreter's r0, and both give what a model of Linux's semantics computes from the packet bytes.
/// </summary>
public class LegacyPacketDifferentialTests
{
    private const int Seed = 0x5eed_1d;
    private const int ProgramCount = 24;
    private const int LoadsPerProgram = 6;

    /// <summary>src values that stress the 32-bit offset: wraps, the sign bit, high bits that must be ignored.</summary>
    private static readonly long[] Sources =
    [
        0, 1, 7, 14, 40, 0xffff_ffff, 0xffff_fff0, 0x7fff_ffff, 0x8000_0000, 0x1_0000_0005, -1, -20, long.MinValue + 3,
    ];

    private sealed record Load(byte Opcode, int Imm);

    private sealed record Chain(long Source, Load[] Loads)
    {
        public Instruction[] Code()
        {
            // r6 = ctx; r7 = src; r8 = 1; per load: r0 = load; r8 ^= r0; r8 *= 31; then r0 = r8.
            var code = new List<Instruction> { Mov64Reg(6, 1) };
            code.AddRange(LdImm64(7, Source));
            code.Add(Mov64(8, 1));
            foreach (var load in Loads)
            {
                code.Add(new Instruction(load.Opcode, 0, (byte)((load.Opcode & 0xe0) == 0x40 ? 7 : 0), 0, load.Imm));
                code.Add(Alu64Reg(AluOperation.Xor, 8, 0));
                code.Add(Alu64(AluOperation.Mul, 8, 31));
            }
            code.Add(Mov64Reg(0, 8));
            code.Add(Exit());
            return [.. code];
        }

        /// <summary>Linux's semantics, from the packet bytes: 0 as soon as a load falls outside the packet.</summary>
        public ulong Model(byte[] packet)
        {
            ulong accumulator = 1;
            foreach (var load in Loads)
            {
                var size = (load.Opcode & 0x18) switch { 0x00 => 4, 0x08 => 2, _ => 1 };
                var offset = (load.Opcode & 0xe0) == 0x20 ? load.Imm : (long)(int)(uint)(((ulong)Source + (ulong)(uint)load.Imm) & 0xffff_ffff);
                if (offset < 0 || offset + size > packet.Length)
                {
                    return 0;
                }
                var bytes = packet.AsSpan((int)offset, size);
                ulong value = size switch { 1 => bytes[0], 2 => BinaryPrimitives.ReadUInt16BigEndian(bytes), _ => BinaryPrimitives.ReadUInt32BigEndian(bytes) };
                accumulator = (accumulator ^ value) * 31;
            }
            return accumulator;
        }
    }

    private static List<Chain> Chains()
    {
        var random = new Random(Seed);
        var chains = new List<Chain>();
        for (var p = 0; p < ProgramCount; p++)
        {
            var source = Sources[random.Next(Sources.Length)];
            var loads = new Load[LoadsPerProgram];
            for (var l = 0; l < loads.Length; l++)
            {
                var indirect = random.Next(2) == 0;
                var opcode = (byte)((indirect ? 0x40 : 0x20) | new[] { 0x00, 0x08, 0x10 }[random.Next(3)]);
                // Mostly offsets inside the packet (for ld_ind, imm chosen so that src + imm lands there),
                // so that chains run on; sometimes an edge or a negative offset.
                var target = random.Next(0, 40);
                var imm = random.Next(16) switch
                {
                    0 => new[] { -1, -4, int.MinValue, int.MaxValue, int.MaxValue - 3, -0x200000, 0x7fff_fff0 }[random.Next(7)],
                    1 => random.Next(-24, 0),
                    _ => indirect ? unchecked((int)((uint)target - (uint)source)) : target,
                };
                loads[l] = new Load(opcode, imm);
            }
            chains.Add(new Chain(source, loads));
        }
        return chains;
    }

    private static List<byte[]> Packets()
    {
        var random = new Random(Seed + 1);
        var packets = new List<byte[]> { Array.Empty<byte>(), new byte[1], new byte[64] };
        for (var i = 0; i < 12; i++)
        {
            var packet = new byte[random.Next(i < 3 ? 0 : 40, 80)];
            random.NextBytes(packet);
            packets.Add(packet);
        }
        return packets;
    }

    [Theory]
    [MemberData(nameof(LegacyPacketEngineTests.EnginesVerifiedOrNot), MemberType = typeof(LegacyPacketEngineTests))]
    public void EveryEngineAgreesWithTheInterpreterAndWithLinuxsSemantics(string engine, bool verified)
    {
        using var buffer = new SocketBuffer(capacity: 128);
        var packets = Packets();
        var chains = Chains();
        var ended = 0;
        var completed = 0;
        foreach (var chain in chains)
        {
            var image = new ProgramImage("chain", chain.Code(), StandardHelpers.CreateDefault()) { Verified = verified, SocketBuffer = true };
            using var reference = TestEngines.Get("interpreter").Load(image with { Verified = false }, EngineOptions.Default);
            using var executable = TestEngines.Get(engine).Load(image, EngineOptions.Default);
            foreach (var packet in packets)
            {
                buffer.SetPacket(packet);
                var expected = chain.Model(packet);
                Assert.Equal(expected, reference.Execute(buffer.Context, buffer.ContextLength));
                buffer.RestoreBounds();
                Assert.Equal(expected, executable.Execute(buffer.Context, buffer.ContextLength));
                _ = expected == 0 ? ended++ : completed++;
            }
        }
        // The campaign exercises both outcomes.
        Assert.True(ended > 20 && completed > 20, $"{ended} runs ended early, {completed} completed");
    }
}
