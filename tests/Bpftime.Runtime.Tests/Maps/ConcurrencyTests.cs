using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Maps;
using Bpftime.Objects;
using static Bpftime.Tests.Engines.X64.Bpf;

namespace Bpftime.Tests.Maps;

public class ConcurrencyTests
{
    private const int Threads = 8;
    private const int Total = 1_000_000;

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public unsafe void EightThreadsLoseNoIncrement(string engine)
    {
        using var array = ArrayMap.Create("counts", 8, 4);
        using var hash = new HashMap(new MapSpec("by_key", MapType.Hash, 4, 8, 16));
        using var overArray = TestEngines.Load(engine, MapPrograms.AtomicIncrement(), [array], verified: true);
        using var overHash = TestEngines.Load(engine, MapPrograms.AtomicIncrement(), [hash], verified: true);
        var failures = 0;
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            var key = BitConverter.GetBytes(2U);
            for (var i = 0; i < Total / Threads; i++)
            {
                if (overArray.Run(key) != 0 || overHash.Run(key) != 0)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Equal(0, failures);
        Assert.Equal((ulong)Total, *(ulong*)array.Lookup(2));
        Assert.Equal((ulong)Total, *(ulong*)hash.Lookup(BitConverter.GetBytes(2U)));
        Assert.Equal(1, hash.Count);
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void RingBufferWrittenByFourThreadsDeliversOrCountsEveryRecord(string engine)
    {
        const int writers = 4;
        const int perWriter = 20_000;
        using var ring = new RingBufferMap(new MapSpec("events", MapType.RingBuf, 0, 0, 16384));
        // record = { u64 writer, u64 sequence, u64 writer ^ sequence }: reserve 24 bytes, fill, submit; r0 = 1 when dropped.
        var code = Program(
            Mov64Reg(6, 1),
            MapPrograms.LoadMap(1, 0), Mov64(2, 24), Mov64(3, 0), Call(HelperIds.RingbufReserve),
            Jmp(JumpOperation.Jne, 0, 0, 2), Mov64(0, 1), Exit(),
            Ldx(MemorySize.DoubleWord, 1, 6, 0), Stx(MemorySize.DoubleWord, 0, 1, 0),
            Ldx(MemorySize.DoubleWord, 2, 6, 8), Stx(MemorySize.DoubleWord, 0, 2, 8),
            Alu64Reg(AluOperation.Xor, 1, 2), Stx(MemorySize.DoubleWord, 0, 1, 16),
            Mov64Reg(1, 0), Mov64(2, 0), Call(HelperIds.RingbufSubmit),
            Mov64(0, 0), Exit());
        using var program = TestEngines.Load(engine, code, [ring], verified: true);
        long dropped = 0;
        var done = 0;
        var received = new int[writers];
        var nextSequence = new long[writers];
        var corrupt = 0;
        var reader = new Thread(() =>
        {
            while (true)
            {
                var finished = Volatile.Read(ref done) == writers;
                ring.Consume(record =>
                {
                    var writer = BitConverter.ToInt64(record);
                    var sequence = BitConverter.ToInt64(record[8..]);
                    if (record.Length != 24 || writer is < 0 or >= writers || (writer ^ sequence) != BitConverter.ToInt64(record[16..]) || sequence < nextSequence[writer])
                    {
                        corrupt++;
                        return;
                    }
                    nextSequence[writer] = sequence + 1;
                    received[writer]++;
                });
                if (finished)
                {
                    break;
                }
                Thread.Yield();
            }
        });
        reader.Start();
        var threads = Enumerable.Range(0, writers).Select(w => new Thread(() =>
        {
            var context = new byte[16];
            BitConverter.TryWriteBytes(context, (long)w);
            for (long s = 0; s < perWriter; s++)
            {
                BitConverter.TryWriteBytes(context.AsSpan(8), s);
                if (program.Run(context) == 1)
                {
                    Interlocked.Increment(ref dropped);
                }
            }
            Interlocked.Increment(ref done);
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        reader.Join();
        ring.Consume(_ => corrupt++); // nothing may be left over
        Assert.Equal(0, corrupt);
        Assert.Equal(writers * perWriter, received.Sum() + dropped);
        Assert.Equal(dropped, ring.DroppedRecords);
    }
}
