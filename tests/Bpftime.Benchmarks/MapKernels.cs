using System.Buffers.Binary;
using Bpftime.Helpers;
using Bpftime.Hosting;
using Bpftime.Maps;
using Bpftime.Objects;

namespace Bpftime.Benchmarks;

/// <summary>
/// The map kernels of tests/data/bench/maps.c: lookups and updates of an array, a hash map and a
/// per-CPU array from a program, and deletes and re-insertions of the hash map's keys, one helper call
/// per iteration, under the "default" helper set; updates and deletes with re-insertions of an LRU
/// hash map's keys, each twice: done by the code, and (_call) with the map hidden so the helper is called. Owns
/// the four maps (array, hash, per-CPU array, LRU hash: the order of both the eBPF object and the native
/// object's <c>_bpf_map_handle_N</c>), filled with key * 3 for every key (in every processor's copy);
/// the update kernels write the same values, and the delete_insert kernels re-insert every key they delete
/// (with the same value), so the maps and every kernel's r0 stay the same however often they run
/// (with an even iteration count).
/// </summary>
internal sealed class MapKernels : IDisposable
{
    public const int Entries = 1024;

    private static readonly string[] MapNames = ["array_map", "hash_map", "percpu_map", "lru_map"];

    public MapKernels(string dataDirectory)
    {
        var directory = Path.Combine(dataDirectory, "bench");
        var file = ObjectReader.ReadFile(Path.Combine(directory, "maps.bpf.o"));
        if (!file.Maps.Select(m => m.Name).SequenceEqual(MapNames))
        {
            throw new InvalidOperationException($"maps.bpf.o declares maps {string.Join(", ", file.Maps.Select(m => m.Name))}; expected {string.Join(", ", MapNames)}");
        }
        Maps = BpfMapFactory.CreateAll(file.Maps, file.Path, file.Btf);
        Fill();
        var native = File.ReadAllBytes(Path.Combine(directory, "maps.native.o"));
        var helpers = StandardHelpers.CreateDefault();
        Programs = [.. ProgramNames.Select(name =>
            new BenchProgram(name, file.FindProgram(name)?.ToArray() ?? throw new InvalidOperationException($"maps.bpf.o has no program '{name}'"), native, name, helpers)
            {
                Maps = Maps,
            })];
    }

    /// <summary>The kernels, in the order of the tables.</summary>
    public static readonly string[] ProgramNames =
    [
        "array_lookup", "array_update", "hash_lookup", "hash_update", "hash_delete_insert", "percpu_lookup", "percpu_update",
        "lru_update", "lru_update_call", "lru_delete_insert", "lru_delete_insert_call",
    ];

    public IReadOnlyList<BpfMap> Maps { get; }

    public IReadOnlyList<BenchProgram> Programs { get; }

    /// <summary>The context of a run of <paramref name="iterations"/> iterations (the u64 the kernels read at ctx[0]).</summary>
    public static byte[] Context(ulong iterations)
    {
        var context = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(context, iterations);
        return context;
    }

    /// <summary>What every level must return: the sum of the values looked up, or the number of updates, deletes and insertions.</summary>
    public static ulong Expected(string program, ulong iterations)
    {
        if (!program.EndsWith("_lookup", StringComparison.Ordinal))
        {
            return iterations;
        }
        ulong sum = 0;
        for (ulong i = 0; i < iterations; i++)
        {
            sum += (i & (Entries - 1)) * 3;
        }
        return sum;
    }

    public void Dispose()
    {
        foreach (var map in Maps)
        {
            map.Dispose();
        }
    }

    private void Fill()
    {
        Span<byte> key = stackalloc byte[4];
        foreach (var map in Maps)
        {
            // A per-CPU map takes every processor's copy in one value of slots x 8 bytes.
            var value = new byte[map is IPerCpuMap perCpu ? perCpu.SlotCount * 8 : 8];
            for (uint k = 0; k < Entries; k++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(key, k);
                for (var slot = 0; slot < value.Length; slot += 8)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(value.AsSpan(slot), k * 3UL);
                }
                if (map.Update(key, value, 0) != 0)
                {
                    throw new InvalidOperationException($"could not fill map '{map.Name}'");
                }
            }
        }
    }
}
