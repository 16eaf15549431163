using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Maps;
using Bpftime.Objects;
using static Bpftime.Tests.Engines.X64.Bpf;

namespace Bpftime.Tests.Maps;

public class RingBufferMapTests
{
    [Fact]
    public void RecordsComeOutInOrderAndDiscardsAreSkipped()
    {
        using var ring = new RingBufferMap(new MapSpec("rb", MapType.RingBuf, 0, 0, 4096));
        Assert.Equal(0, ring.Output([1, 2, 3], 0));
        var discarded = ring.Reserve(10);
        Assert.NotEqual(0, discarded);
        ring.Commit(discarded, discard: true, 0);
        Assert.Equal(0, ring.Output([4], 0));
        var seen = new List<byte[]>();
        Assert.Equal(2, ring.Consume(r => seen.Add(r.ToArray())));
        Assert.Equal([1, 2, 3], seen[0]);
        Assert.Equal([4], seen[1]);
        Assert.Equal(0, ring.AvailableData);
    }

    [Fact]
    public void UnsubmittedRecordsHoldBackLaterOnes()
    {
        using var ring = new RingBufferMap(new MapSpec("rb", MapType.RingBuf, 0, 0, 4096));
        var first = ring.Reserve(8);
        Assert.Equal(0, ring.Output([9], 0));
        Assert.Equal(0, ring.Consume(_ => { }));
        ring.Commit(first, discard: false, 0);
        Assert.Equal(2, ring.Consume(_ => { }));
    }

    [Fact]
    public void FullRingDropsAndWrapsWithoutSplittingRecords()
    {
        using var ring = new RingBufferMap(new MapSpec("rb", MapType.RingBuf, 0, 0, 4096));
        var record = new byte[1000];
        var accepted = 0;
        while (ring.Output(record, 0) == 0)
        {
            accepted++;
        }
        Assert.Equal(4, accepted); // 4 x 1008 bytes fit in 4096
        Assert.Equal(1, ring.DroppedRecords);
        for (var round = 0; round < 20; round++)
        {
            Assert.Equal(accepted, ring.Consume(r => Assert.Equal(1000, r.Length)));
            record.AsSpan().Fill((byte)round);
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal(0, ring.Output(record, 0));
            }
            accepted = 3;
        }
        Assert.Equal(3, ring.Consume(r => Assert.True(r.ToArray().All(b => b == 19))));
    }

    [Fact]
    public void RefusesSizesThatAreNotPowersOfTwo()
    {
        Assert.Throws<Diagnostics.BpfException>(() => new RingBufferMap(new MapSpec("rb", MapType.RingBuf, 0, 0, 5000)));
        Assert.Throws<Diagnostics.BpfException>(() => new RingBufferMap(new MapSpec("rb", MapType.RingBuf, 0, 0, 1024)));
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void ProgramsReserveSubmitOutputAndQuery(string engine)
    {
        using var ring = new RingBufferMap(new MapSpec("rb", MapType.RingBuf, 0, 0, 4096));
        // rec = reserve(16); if !rec return 1; rec[0] = ctx[0]; submit(rec); output(ctx, 8); return query(AVAIL)
        var code = Program(
            Mov64Reg(6, 1),
            MapPrograms.LoadMap(1, 0), Mov64(2, 16), Mov64(3, 0), Call(HelperIds.RingbufReserve),
            Jmp(JumpOperation.Jne, 0, 0, 2), Mov64(0, 1), Exit(),
            Ldx(MemorySize.DoubleWord, 1, 6, 0), Stx(MemorySize.DoubleWord, 0, 1, 0),
            Mov64Reg(1, 0), Mov64(2, 0), Call(HelperIds.RingbufSubmit),
            MapPrograms.LoadMap(1, 0), Mov64Reg(2, 6), Mov64(3, 8), Mov64(4, 0), Call(HelperIds.RingbufOutput),
            MapPrograms.LoadMap(1, 0), Mov64(2, 0), Call(HelperIds.RingbufQuery),
            Exit());
        using var program = TestEngines.Load(engine, code, [ring]);
        Assert.Equal(24UL + 16UL, program.Run(BitConverter.GetBytes(77UL)));
        var values = new List<ulong>();
        Assert.Equal(2, ring.Consume(r => values.Add(BitConverter.ToUInt64(r[..8]))));
        Assert.Equal([77UL, 77UL], values);
    }
}
