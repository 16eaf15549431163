using System.Buffers.Binary;
using Bpftime.Isa;

namespace Bpftime.Benchmarks;

/// <summary>One benchmark program (raw bytecode from tests/data/bench) and the memory it runs over.</summary>
internal sealed record Kernel(string Name, string Description, Instruction[] Code, Func<byte[]> CreateMemory)
{
    public static IReadOnlyList<Kernel> All(string dataDirectory)
    {
        Instruction[] Load(string name) => InstructionDecoder.Decode(File.ReadAllBytes(Path.Combine(dataDirectory, "bench", name + ".bin")), name);
        return
        [
            new("log2", "sum of log2 over 128 Ki u64 (1 MiB)", Load("log2"), () => RandomBytes(1 << 20, 1)),
            new("memcpy", "copy 1 MiB, 8 bytes at a time", Load("memcpy"), () => RandomBytes(2 << 20, 2)),
            new("primes", "count primes below 30000 by trial division", Load("primes"), () =>
            {
                var memory = new byte[4];
                BinaryPrimitives.WriteUInt32LittleEndian(memory, 30000);
                return memory;
            }),
            new("strcmp", "compare two equal 64 KiB strings, 16 times", Load("strcmp"), () =>
            {
                var memory = new byte[128 << 10];
                for (var i = 0; i < memory.Length; i++)
                {
                    memory[i] = (byte)('a' + ((i % (64 << 10)) % 26));
                }
                memory[(64 << 10) - 1] = 0;
                memory[^1] = 0;
                return memory;
            }),
            new("switch", "64-way switch over 1 MiB of bytes taking every case in turn", Load("switch"), () =>
            {
                var memory = new byte[1 << 20];
                for (var i = 0; i < memory.Length; i++)
                {
                    memory[i] = (byte)((i % 64) | ((i / 64 % 4) << 6));
                }
                return memory;
            }),
            new("switch-random", "64-way switch over 1 MiB of random bytes (bound by branch mispredictions)", Load("switch"), () => RandomBytes(1 << 20, 5)),
        ];
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
