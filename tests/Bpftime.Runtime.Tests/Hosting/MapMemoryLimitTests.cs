using Bpftime.Diagnostics;
using Bpftime.Hosting;
using Bpftime.Maps;
using Bpftime.Objects;

namespace Bpftime.Tests.Hosting;

/// <summary>An object's maps are costed from their specs before anything is allocated, against a per-object limit.</summary>
public class MapMemoryLimitTests
{
    private static readonly MapSpec HugeArray = new("huge", MapType.Array, 4, 1 << 20, 4096);

    [Fact]
    public void AnObjectOverTheLimitIsRefusedBeforeAllocatingAndNamesTheMap()
    {
        // 4 GiB of array values: the default limit refuses it without touching that memory.
        var error = Assert.Throws<BpfException>(() => BpfMapFactory.CreateAll([new MapSpec("small", MapType.Array, 4, 8, 1), HugeArray], "x.bpf.o",
            maxMemory: BpfLoadOptions.DefaultMaxMapMemory));
        Assert.Equal(DiagnosticCodes.MapMemoryLimitExceeded, error.Diagnostic.Code);
        Assert.Contains("'huge'", error.Message, StringComparison.Ordinal);
        // (1 MiB x 4096 values + 4096 u32 keys) + (8-byte value + 1 key).
        Assert.Contains("4294983692 bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("BpfLoadOptions.MaxMapMemory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheLimitCountsEveryPerCpuCopyAndTheWholeObject()
    {
        var perCpu = new MapSpec("per_cpu", MapType.PerCpuArray, 4, 64, 1000);
        var expected = (64UL * (ulong)PerCpu.SlotCount * 1000) + (4 * 1000);
        Assert.Equal(expected, BpfMapFactory.MemoryOf(perCpu));
        BpfMapFactory.CheckMemory([perCpu], (long)expected);
        Assert.Throws<BpfException>(() => BpfMapFactory.CheckMemory([perCpu, perCpu with { Name = "again" }], (long)expected));
        Assert.Equal(1UL << 20, BpfMapFactory.MemoryOf(new MapSpec("events", MapType.RingBuf, 0, 0, 1 << 20)));
        // Hash maps preallocate keys, values, their chains and the buckets.
        Assert.True(BpfMapFactory.MemoryOf(new MapSpec("h", MapType.Hash, 8, 16, 1024)) >= (8UL + 16) * 1024);
    }

    [Fact]
    public void NullLiftsTheLimitAndZeroAllowsNoMapMemory()
    {
        BpfMapFactory.CheckMemory([HugeArray], null);
        var error = Assert.Throws<BpfException>(() => BpfMapFactory.CheckMemory([new MapSpec(".bss", MapType.Array, 4, 8, 1) { IsGlobalData = true }], 0));
        Assert.Equal(DiagnosticCodes.MapMemoryLimitExceeded, error.Diagnostic.Code);
    }

    [Fact]
    public void LoadAppliesTheOptionToBytecode()
    {
        var path = Path.Combine(TestPaths.DataDirectory, "obj", "verifier", "xdp_parse.bpf.o");
        // port_counts: 256 u64 values = 2048 bytes, plus 1 KiB of index keys.
        var error = Assert.Throws<BpfException>(() => BpfObject.Load(path, HostingEngines.Options("interpreter") with { MaxMapMemory = 2048 }));
        Assert.Equal(DiagnosticCodes.MapMemoryLimitExceeded, error.Diagnostic.Code);
        Assert.Contains("port_counts", error.Message, StringComparison.Ordinal);
        using var loaded = BpfObject.Load(path, HostingEngines.Options("interpreter") with { MaxMapMemory = 4096 });
        Assert.Single(loaded.Maps);
    }

    [Theory]
    [InlineData(MapType.Array, 4u, uint.MaxValue, uint.MaxValue)]
    [InlineData(MapType.PerCpuArray, 4u, 1u << 20, uint.MaxValue)]
    [InlineData(MapType.Hash, 512u, 1u << 20, 1u << 24)]
    [InlineData(MapType.PerCpuHash, 512u, 1u << 20, 1u << 24)]
    [InlineData(MapType.Queue, 0u, 1u << 20, uint.MaxValue)]
    [InlineData(MapType.LpmTrie, 260u, 1u << 20, 1u << 24)]
    public void AbsurdSpecsFailCleanlyWithoutALimit(MapType type, uint keySize, uint valueSize, uint maxEntries)
    {
        var spec = new MapSpec("absurd", type, keySize, valueSize, maxEntries);
        Assert.True(BpfMapFactory.MemoryOf(spec) > 1UL << 32);
        var error = Assert.Throws<BpfException>(() => BpfMapFactory.Create(spec));
        Assert.StartsWith("BPF42", error.Diagnostic.Code, StringComparison.Ordinal);
    }
}
