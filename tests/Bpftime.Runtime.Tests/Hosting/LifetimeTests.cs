using Bpftime.Helpers;
using Bpftime.Hosting;
using Bpftime.Maps;
using Bpftime.Objects;

namespace Bpftime.Tests.Hosting;

public class LifetimeTests
{
    [Fact]
    public void DisposingTheObjectFreesItsMaps()
    {
        var loaded = RealPrograms.Load("hash_aggregator", "interpreter");
        var stats = loaded.Maps["recent"];
        var view = stats.AsHash<uint, ulong>();
        loaded.Dispose();
        Assert.True(stats.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => stats.Lookup(new byte[4]));
        Assert.Throws<ObjectDisposedException>(() => stats.AsHash<uint, ulong>());
        _ = view;
    }

    [Fact]
    public void RingBuffersLeaveTheRecordRegistryWhenDisposed()
    {
        var ring = new RingBufferMap(new MapSpec("rb", MapType.RingBuf, 0, 0, 4096));
        var record = ring.Reserve(8);
        Assert.Same(ring, RingBufferMap.Owning(record));
        ring.Commit(record, discard: true, 0);
        ring.Dispose();
        Assert.Null(RingBufferMap.Owning(record));
    }

    [Fact]
    public unsafe void HelpersAnswerBadArgumentsWithErrors()
    {
        var key = stackalloc byte[8];
        Assert.Equal(0UL, MapHelpers.LookupElem.Implementation(0, (ulong)key, 0, 0, 0));
        Assert.Equal(unchecked((ulong)-Errno.EINVAL), MapHelpers.UpdateElem.Implementation(0, (ulong)key, (ulong)key, 0, 0));
        using var array = ArrayMap.Create("a", 8, 1);
        Assert.Equal(unchecked((ulong)-Errno.EINVAL), MapHelpers.PushElem.Implementation((ulong)array.Handle, (ulong)key, 0, 0, 0));
        Assert.Equal(unchecked((ulong)-Errno.EINVAL), RingBufferHelpers.Output.Implementation((ulong)array.Handle, (ulong)key, 8, 0, 0));
        Assert.Equal(0UL, RingBufferHelpers.Reserve.Implementation((ulong)array.Handle, 8, 0, 0, 0));
        Assert.Equal(unchecked((ulong)-Errno.E2BIG), LoopHelpers.Loop.Implementation(LoopHelpers.MaxLoops + 1, 1, 0, 0, 0));
        Assert.Equal(unchecked((ulong)-Errno.EINVAL), LoopHelpers.Loop.Implementation(1, 1, 0, 1, 0));
        using var ring = new RingBufferMap(new MapSpec("rb", MapType.RingBuf, 0, 0, 4096));
        Assert.Equal(0UL, RingBufferHelpers.Reserve.Implementation((ulong)ring.Handle, 4000, 0, 0, 0));
        Assert.Equal(1, ring.DroppedRecords);
        Assert.Equal(4096UL, RingBufferHelpers.Query.Implementation((ulong)ring.Handle, 1, 0, 0, 0));
        Assert.Equal(unchecked((ulong)-Errno.EINVAL), XdpHelpers.AdjustHead.Implementation((ulong)key, 4, 0, 0, 0));
    }

    [Fact]
    public void XdpFramesKeepThePacketWithinTheirRoom()
    {
        using var frame = new XdpFrame(capacity: 64, headroom: 16);
        frame.SetPacket(new byte[20]);
        Assert.Equal(20, frame.Packet.Length);
        Assert.Equal(Diagnostics.DiagnosticCodes.XdpPacketTooLarge, Assert.Throws<Diagnostics.BpfException>(() => frame.SetPacket(new byte[65])).Code);
        Assert.Empty(frame.Metadata.ToArray());
    }
}
