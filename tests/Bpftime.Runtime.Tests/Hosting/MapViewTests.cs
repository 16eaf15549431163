using System.Text.Json;
using Bpftime.Diagnostics;
using Bpftime.Hosting;
using Bpftime.Maps;
using Bpftime.Objects;

namespace Bpftime.Tests.Hosting;

public class MapViewTests
{
    [Fact]
    public void ArrayViewReadsWritesAndChecksSizes()
    {
        using var map = ArrayMap.Create("a", 8, 3);
        var view = map.AsArray<long>();
        view[1u] = -4;
        Assert.Equal(0, view.Update(2, 9));
        Assert.Equal(-Errno.E2BIG, view.Update(3, 9));
        Assert.Equal([0L, -4L, 9L], view.ReadAll());
        Assert.Equal(3, view.Count);
        Assert.Equal(new[] { 0L, -4L, 9L }, view);
        Assert.Equal(DiagnosticCodes.MapViewMismatch, Assert.Throws<BpfException>(() => map.AsArray<int>()).Code);
        Assert.Equal(DiagnosticCodes.MapViewMismatch, Assert.Throws<BpfException>(() => map.AsHash<uint, long>()).Code);
    }

    [Fact]
    public void HashViewIteratesAndBatches()
    {
        using var map = new HashMap(new MapSpec("h", MapType.Hash, 4, 8, 10));
        var view = map.AsHash<uint, ulong>();
        for (uint i = 0; i < 10; i++)
        {
            view[i] = i * i;
        }
        Assert.Equal(-Errno.E2BIG, view.Update(99, 1));
        Assert.Equal(10, view.Keys.Count());
        Assert.Equal(4, view.ReadBatch(4).Count);
        Assert.Equal(81UL, view.ToDictionary()[9]);
        Assert.True(view.TryGetValue(3, out var nine) && nine == 9);
        Assert.Equal(0, view.Delete(3));
        Assert.False(view.ContainsKey(3));
        Assert.Throws<KeyNotFoundException>(() => view[3]);
    }

    [Fact]
    public void PerCpuViewsSeeEverySlot()
    {
        using var array = new PerCpuArrayMap(new MapSpec("pa", MapType.PerCpuArray, 4, 8, 2));
        var view = array.AsPerCpuArray<ulong>();
        var values = Enumerable.Range(1, view.SlotCount).Select(i => (ulong)i).ToArray();
        Assert.Equal(0, view.Update(1, values));
        Assert.Equal(values, view.Lookup(1));
        Assert.Equal(values.Aggregate((a, b) => a + b), view.Sum(1, (a, b) => a + b));
        Assert.Null(view.Lookup(2));
        Assert.Equal(2, view.ReadAll().Count);

        using var hash = new HashMap(new MapSpec("ph", MapType.PerCpuHash, 4, 4, 2));
        var hashView = hash.AsPerCpuHash<uint, uint>();
        Assert.Null(hashView.Lookup(5));
        Assert.Equal(0, hashView.Update(5, Enumerable.Repeat(3u, hashView.SlotCount).ToArray()));
        Assert.Equal((uint)(3 * hashView.SlotCount), hashView.Sum(5, (a, b) => a + b));
        Assert.Equal(DiagnosticCodes.MapViewMismatch, Assert.Throws<BpfException>(() => hash.AsHash<uint, uint>()).Code);
    }

    [Fact]
    public void QueueViewAndDumpKeepTheValues()
    {
        using var queue = new QueueMap(new MapSpec("q", MapType.Queue, 0, 4, 4));
        var view = queue.AsQueue<int>();
        view.Push(1);
        view.Push(2);
        var json = BpfMapDump.ToJson([queue]);
        Assert.Contains("\"01000000\"", json);
        Assert.Equal(2, view.Count);
        Assert.True(view.TryPop(out var first) && first == 1);
        Assert.True(view.TryPeek(out var second) && second == 2);
    }

    [Fact]
    public void DumpWritesEntriesAsHex()
    {
        using var hash = new HashMap(new MapSpec("h", MapType.Hash, 4, 8, 4));
        hash.AsHash<uint, ulong>()[7] = 0x1122;
        using var ring = new RingBufferMap(new MapSpec("rb", MapType.RingBuf, 0, 0, 4096));
        ring.Output([1, 2, 3], 0);
        using var document = JsonDocument.Parse(BpfMapDump.ToJson([hash, ring]));
        var first = document.RootElement[0];
        Assert.Equal("h", first.GetProperty("name").GetString());
        Assert.Equal("07000000", first.GetProperty("entries")[0].GetProperty("key").GetString());
        Assert.Equal("2211000000000000", first.GetProperty("entries")[0].GetProperty("value").GetString());
        Assert.True(document.RootElement[1].TryGetProperty("available_bytes", out var available), document.RootElement[1].ToString());
        Assert.Equal(16, available.GetInt64());
    }

    [Fact]
    public void UnsupportedMapTypesAreRefusedWithTheirNameAndType()
    {
        var error = Assert.Throws<BpfException>(() => BpfMapFactory.Create(new MapSpec("perf", MapType.PerfEventArray, 4, 4, 4)));
        Assert.Equal(DiagnosticCodes.UnsupportedMapType, error.Code);
        Assert.Contains("'perf'", error.Message);
        Assert.Contains("PerfEventArray (4)", error.Message);
    }
}
