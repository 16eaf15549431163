using System.Runtime.InteropServices;
using Bpftime.Hosting;
using Bpftime.Maps;
using Bpftime.Tests.Maps;

namespace Bpftime.Tests.Hosting;

public class SpinLockTests
{
    [StructLayout(LayoutKind.Sequential)]
    private struct Counter
    {
        public uint Lock;
        public uint Pad;
        public ulong A;
        public ulong B;
    }

    [Theory]
    [MemberData(nameof(TestEngines.BytecodeNames), MemberType = typeof(TestEngines))]
    public void ProgramsSerialiseThroughTheValuesLock(string engine)
    {
        using var loaded = RealPrograms.Load("spin_counter", engine);
        var hash = loaded.Maps["by_key"].AsHash<uint, Counter>();
        Assert.Equal(0, hash.Update(0, new Counter { Lock = 77, A = 5 }, MapUpdateFlags.NoExist | MapUpdateFlags.Lock));
        Assert.Equal(0U, hash[0].Lock); // the lock is never copied in
        var program = loaded.Programs["bump"];
        const int threads = 4, runs = 20_000;
        var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
        {
            for (var i = 0; i < runs; i++)
            {
                program.Run();
            }
        })).ToList();
        workers.ForEach(t => t.Start());
        workers.ForEach(t => t.Join());
        var counter = loaded.Maps["counters"].AsArray<Counter>()[0u];
        Assert.Equal((ulong)(threads * runs), counter.A);
        Assert.Equal((ulong)(2 * threads * runs), counter.B);
        Assert.Equal(0U, counter.Lock);
        Assert.Equal((ulong)(threads * runs) + 5, hash[0].A);
    }

    [Fact]
    public void LockedUpdatesNeedALockInTheValue()
    {
        using var loaded = RealPrograms.Load("spin_counter", "interpreter");
        var array = loaded.Maps["counters"].AsArray<Counter>();
        Assert.Equal(0, array.Update(0, new Counter { Lock = 9, A = 1, B = 2 }, MapUpdateFlags.Lock));
        Assert.Equal(0U, array[0u].Lock);
        Assert.Equal(2UL, array[0u].B);
        Assert.Equal(0, ((ArrayMap)loaded.Maps["counters"]).SpinLockOffset);
        using var plain = ArrayMap.Create("plain", 24, 1);
        Assert.Equal(-Errno.EINVAL, plain.AsArray<Counter>().Update(0, default, MapUpdateFlags.Lock));
    }
}
