using System.Buffers.Binary;
using Bpftime.Helpers;
using Bpftime.Isa;

namespace Bpftime.Benchmarks;

/// <summary>
/// One compute benchmark: raw bytecode from tests/data/bench (a section of bench.c), the same C
/// function compiled natively (<see cref="NativeSymbol"/> in bench.native.o), and the memory it runs over.
/// </summary>
internal sealed record Kernel(string Name, string Description, Instruction[] Code, string NativeSymbol, Func<byte[]> CreateMemory)
{
    public const string NativeObjectName = "bench.native.o";

    public static IReadOnlyList<Kernel> All(string dataDirectory)
    {
        Instruction[] Load(string name) => InstructionDecoder.Decode(File.ReadAllBytes(Path.Combine(dataDirectory, "bench", name + ".bin")), name);
        return
        [
            new("log2", "sum of log2 over 128 Ki u64 (1 MiB)", Load("log2"), "log2_sum", () => RandomBytes(1 << 20, 1)),
            new("memcpy", "copy 1 MiB, 8 bytes at a time", Load("memcpy"), "copy_half", () => RandomBytes(2 << 20, 2)),
            new("primes", "count primes below 30000 by trial division", Load("primes"), "count_primes", () =>
            {
                var memory = new byte[4];
                BinaryPrimitives.WriteUInt32LittleEndian(memory, 30000);
                return memory;
            }),
            new("strcmp", "compare two equal 64 KiB strings, 16 times", Load("strcmp"), "compare_strings", () =>
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
            new("switch", "64-way switch over 1 MiB of bytes taking every case in turn", Load("switch"), "switch64", () =>
            {
                var memory = new byte[1 << 20];
                for (var i = 0; i < memory.Length; i++)
                {
                    memory[i] = (byte)((i % 64) | ((i / 64 % 4) << 6));
                }
                return memory;
            }),
            new("switch-random", "64-way switch over 1 MiB of random bytes (bound by branch mispredictions)", Load("switch"), "switch64", () => RandomBytes(1 << 20, 5)),
        ];
    }

    /// <summary>The kernel with the native object it is linked from, under the given helper set.</summary>
    public BenchProgram ToProgram(byte[] nativeObject) => new(Name, Code, nativeObject, NativeSymbol, new HelperTable("none"));

    public static byte[] ReadNativeObject(string dataDirectory) => File.ReadAllBytes(Path.Combine(dataDirectory, "bench", NativeObjectName));

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
