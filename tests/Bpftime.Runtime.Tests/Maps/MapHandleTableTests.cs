using Bpftime.Maps;

namespace Bpftime.Runtime.Tests.Maps;

/// <summary>The live-map registry behind <see cref="BpfMap.FromHandle"/>: what a program passes as a map is only ever looked up.</summary>
public sealed class MapHandleTableTests
{
    [Fact]
    public void ForgedHandlesAreNotMaps()
    {
        using var map = ArrayMap.Create("a", 4, 1);
        Assert.Null(BpfMap.FromHandle(0));
        Assert.Null(BpfMap.FromHandle(1));
        Assert.Null(BpfMap.FromHandle(-1));
        Assert.Null(BpfMap.FromHandle(map.Handle + 8));
        Assert.Null(BpfMap.FromHandle(map.Handle + 16));
        Assert.Null(BpfMap.FromHandle(map.Handle - 16));
        Assert.Null(BpfMap.FromHandle(nint.MaxValue));
        Assert.Same(map, BpfMap.FromHandle(map.Handle));
    }

    [Fact]
    public void ADisposedMapsHandleIsNoLongerAMapAndTheOthersStay()
    {
        // Enough maps that the table grows and reuses removed slots several times.
        var maps = new List<BpfMap>();
        for (var i = 0; i < 300; i++)
        {
            maps.Add(ArrayMap.Create("m" + i, 4, 1));
        }
        var handles = maps.ConvertAll(m => m.Handle);
        for (var i = 0; i < maps.Count; i += 2)
        {
            maps[i].Dispose();
        }
        var later = new List<BpfMap>();
        for (var i = 0; i < 200; i++)
        {
            later.Add(ArrayMap.Create("n" + i, 4, 1));
        }
        try
        {
            for (var i = 0; i < maps.Count; i++)
            {
                if (i % 2 == 0)
                {
                    Assert.Null(BpfMap.FromHandle(handles[i]));
                }
                else
                {
                    Assert.Same(maps[i], BpfMap.FromHandle(handles[i]));
                }
            }
            foreach (var map in later)
            {
                Assert.Same(map, BpfMap.FromHandle(map.Handle));
                Assert.DoesNotContain(map.Handle, handles);
            }
        }
        finally
        {
            foreach (var map in maps.Concat(later))
            {
                map.Dispose();
            }
        }
    }

    [Fact]
    public async Task ReadersDuringCreationAndDisposalSeeOnlyTheRightMapOrNone()
    {
        using var stable = ArrayMap.Create("stable", 4, 1);
        using var stop = new CancellationTokenSource();
        var wrong = 0;
        var missing = 0;
        BpfMap[] current = [];
        var churn = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var batch = new BpfMap[64];
                for (var i = 0; i < batch.Length; i++)
                {
                    batch[i] = ArrayMap.Create("c", 4, 1);
                }
                Volatile.Write(ref current, batch);
                foreach (var map in batch)
                {
                    map.Dispose();
                }
            }
        });
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            var seen = new List<(nint Handle, BpfMap Map)>();
            for (var round = 0; round < 20_000; round++)
            {
                var found = BpfMap.FromHandle(stable.Handle);
                if (found is null)
                {
                    Interlocked.Increment(ref missing);
                }
                else if (!ReferenceEquals(found, stable))
                {
                    Interlocked.Increment(ref wrong);
                }
                foreach (var (handle, map) in seen)
                {
                    // A churned map's handle answers that map while it lives, then nothing, never another map.
                    if (BpfMap.FromHandle(handle) is { } other && !ReferenceEquals(other, map))
                    {
                        Interlocked.Increment(ref wrong);
                    }
                }
                if (seen.Count > 4096)
                {
                    seen.Clear();
                }
                foreach (var map in Volatile.Read(ref current))
                {
                    if (map.Handle is not 0 and var handle)
                    {
                        seen.Add((handle, map));
                    }
                }
            }
        })).ToArray();
        await Task.WhenAll(readers);
        await stop.CancelAsync();
        await churn;
        Assert.Equal(0, wrong);
        Assert.Equal(0, missing);
    }
}
