using System.Buffers.Binary;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Maps;
using Bpftime.Objects;

namespace Bpftime.Tests.Maps;

public class HashMapTests
{
    private static byte[] Key(uint key) => BitConverter.GetBytes(key);

    private static byte[] Value(ulong value) => BitConverter.GetBytes(value);

    [Fact]
    public void FlagsAndErrorCodesFollowTheKernel()
    {
        using var map = new HashMap(new MapSpec("h", MapType.Hash, 4, 8, 2));
        Assert.Equal(0, map.Update(Key(1), Value(10), MapUpdateFlags.Any));
        Assert.Equal(-Errno.EEXIST, map.Update(Key(1), Value(11), MapUpdateFlags.NoExist));
        Assert.Equal(-Errno.ENOENT, map.Update(Key(2), Value(20), MapUpdateFlags.Exist));
        Assert.Equal(0, map.Update(Key(2), Value(20), MapUpdateFlags.NoExist));
        Assert.Equal(-Errno.E2BIG, map.Update(Key(3), Value(30), MapUpdateFlags.Any));
        Assert.Equal(0, map.Update(Key(1), Value(12), MapUpdateFlags.Exist));
        Assert.Equal(-Errno.EINVAL, map.Update(Key(1), Value(12), 99));
        Assert.Equal(-Errno.EINVAL, map.Update(Key(1), Value(12), MapUpdateFlags.Lock));
        Assert.Equal(12UL, ReadValue(map, 1));
        Assert.Equal(0, map.Delete(Key(1)));
        Assert.Equal(-Errno.ENOENT, map.Delete(Key(1)));
        Assert.Equal(0, map.Lookup(Key(1)));
        Assert.Equal(0, map.Update(Key(3), Value(30), MapUpdateFlags.Any));
        Assert.Equal(2, map.Count);
    }

    [Fact]
    public void ValueAddressesStayPutAcrossOtherUpdates()
    {
        using var map = new HashMap(new MapSpec("h", MapType.Hash, 4, 8, 100));
        map.Update(Key(7), Value(70), 0);
        var address = map.Lookup(Key(7));
        for (uint i = 0; i < 99; i++)
        {
            if (i != 7)
            {
                map.Update(Key(i), Value(i), 0);
            }
        }
        Assert.Equal(address, map.Lookup(Key(7)));
        Assert.Equal(0, address % 8);
    }

    [Fact]
    public void IteratesEveryKeyOnce()
    {
        using var map = new HashMap(new MapSpec("h", MapType.Hash, 4, 8, 64));
        for (uint i = 0; i < 50; i++)
        {
            map.Update(Key(i * 3), Value(i), 0);
        }
        var seen = new HashSet<uint>();
        var key = Array.Empty<byte>();
        var next = new byte[4];
        while (map.GetNextKey(key, next) == 0)
        {
            Assert.True(seen.Add(BinaryPrimitives.ReadUInt32LittleEndian(next)));
            key = (byte[])next.Clone();
        }
        Assert.Equal(50, seen.Count);
        Assert.All(seen, k => Assert.Equal(0U, k % 3));
    }

    [Fact]
    public void LruEvictsTheLeastRecentlyUsed()
    {
        using var map = new HashMap(new MapSpec("lru", MapType.LruHash, 4, 8, 3));
        map.Update(Key(1), Value(1), 0);
        map.Update(Key(2), Value(2), 0);
        map.Update(Key(3), Value(3), 0);
        Assert.NotEqual(0, map.Lookup(Key(1))); // 2 is now the least recently used
        Assert.Equal(0, map.Update(Key(4), Value(4), 0));
        Assert.Equal(0, map.Lookup(Key(2)));
        Assert.NotEqual(0, map.Lookup(Key(1)));
        Assert.NotEqual(0, map.Lookup(Key(3)));
        Assert.NotEqual(0, map.Lookup(Key(4)));
        Assert.Equal(3, map.Count);
    }

    /// <summary>
    /// The recency list compiled code keeps lies in the map's block where <see cref="InlineLookup"/>
    /// says (hot and cold ends in the header, two links per element after every slot's values), and
    /// the map's own updates, deletes and evictions keep it there: walked from the hot end, it names the
    /// keys from the most to the least recently used, and back from the cold end the reverse.
    /// </summary>
    [Theory]
    [InlineData(MapType.LruHash)]
    [InlineData(MapType.LruPerCpuHash)]
    public unsafe void LruRecencyListLiesInTheBlockWhereTheLayoutSays(MapType type)
    {
        using var map = new HashMap(new MapSpec("lru", type, 4, 12, 4));
        var layout = map.Layout;
        var block = (byte*)map.StorageAddress;
        var links = (int*)(block + layout.LruLinksOffset((ulong)map.SlotCount));
        uint KeyOf(int element) => *(uint*)(block + layout.KeysOffset + ((ulong)element * layout.KeyStride));
        List<uint> HotToCold()
        {
            var keys = new List<uint>();
            for (var element = *(int*)(block + InlineLookup.LruHeadOffset); element != InlineLookup.HashEnd && keys.Count <= 4; element = links[(2 * element) + 1])
            {
                keys.Add(KeyOf(element));
            }
            var back = new List<uint>();
            for (var element = *(int*)(block + InlineLookup.LruTailOffset); element != InlineLookup.HashEnd && back.Count <= 4; element = links[2 * element])
            {
                back.Add(KeyOf(element));
            }
            back.Reverse();
            Assert.Equal(keys, back);
            return keys;
        }
        var value = new byte[12];
        Assert.Empty(HotToCold());
        foreach (var key in new uint[] { 1, 2, 3 })
        {
            Assert.Equal(0, map.Update(Key(key), value, 0));
        }
        Assert.Equal([3U, 2U, 1U], HotToCold());
        Assert.Equal(0, map.Update(Key(1), value, MapUpdateFlags.Exist));
        Assert.Equal([1U, 3U, 2U], HotToCold());
        Assert.Equal(0, map.Delete(Key(3)));
        Assert.Equal([1U, 2U], HotToCold());
        Assert.Equal(0, map.Update(Key(4), value, 0));
        Assert.Equal(0, map.Update(Key(5), value, 0));
        // Full: 6 evicts the coldest, 2.
        Assert.Equal(0, map.Update(Key(6), value, 0));
        Assert.Equal([6U, 5U, 4U, 1U], HotToCold());
        Assert.Equal(0, map.Delete(Key(6)));
        Assert.Equal(0, map.Delete(Key(1)));
        Assert.Equal([5U, 4U], HotToCold());
    }

    [Fact]
    public unsafe void PerCpuHashKeepsOneCopyPerSlot()
    {
        using var map = new HashMap(new MapSpec("pch", MapType.PerCpuHash, 4, 4, 4));
        var all = new byte[(int)map.SlotStride * map.SlotCount];
        for (var slot = 0; slot < map.SlotCount; slot++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(all.AsSpan(slot * (int)map.SlotStride), (uint)(100 + slot));
        }
        Assert.Equal(0, map.Update(Key(5), all, 0));
        for (var slot = 0; slot < map.SlotCount; slot++)
        {
            Assert.Equal((uint)(100 + slot), *(uint*)map.LookupSlot(Key(5), slot));
        }
        Assert.Equal(PerCpu.SlotCount, map.SlotCount);
    }

    [Fact]
    public void RefusesLayoutsAndWrongSizes()
    {
        Assert.Equal(DiagnosticCodes.InvalidMapSpec, Assert.Throws<BpfException>(() => new HashMap(new MapSpec("h", MapType.Hash, 0, 8, 1))).Code);
        Assert.Equal(DiagnosticCodes.InvalidMapSpec, Assert.Throws<BpfException>(() => new HashMap(new MapSpec("h", MapType.Hash, 4, 8, 0))).Code);
        Assert.Equal(DiagnosticCodes.MapWrongType, Assert.Throws<BpfException>(() => new HashMap(new MapSpec("h", MapType.Array, 4, 8, 1))).Code);
        using var map = new HashMap(new MapSpec("h", MapType.Hash, 4, 8, 1));
        Assert.Equal(DiagnosticCodes.MapWrongSize, Assert.Throws<BpfException>(() => map.Update(new byte[3], Value(1), 0)).Code);
        Assert.Equal(DiagnosticCodes.MapWrongSize, Assert.Throws<BpfException>(() => map.Update(Key(1), new byte[7], 0)).Code);
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void ProgramsSeeHelperErrorCodes(string engine)
    {
        using var map = new HashMap(new MapSpec("h", MapType.Hash, 4, 8, 1));
        using var update = TestEngines.Load(engine, MapPrograms.CallOnContext(HelperIds.MapUpdateElem), [map]);
        using var delete = TestEngines.Load(engine, MapPrograms.CallOnContext(HelperIds.MapDeleteElem), [map]);
        using var lookup = TestEngines.Load(engine, MapPrograms.CallOnContext(HelperIds.MapLookupElem), [map]);
        var context = new byte[32];
        BinaryPrimitives.WriteUInt32LittleEndian(context, 9);
        BinaryPrimitives.WriteUInt64LittleEndian(context.AsSpan(8), 1234);
        Assert.Equal(0UL, update.Run(context));
        BinaryPrimitives.WriteUInt64LittleEndian(context.AsSpan(24), MapUpdateFlags.NoExist);
        Assert.Equal(unchecked((ulong)-Errno.EEXIST), update.Run(context));
        BinaryPrimitives.WriteUInt32LittleEndian(context, 10);
        Assert.Equal(unchecked((ulong)-Errno.E2BIG), update.Run(context));
        BinaryPrimitives.WriteUInt64LittleEndian(context.AsSpan(24), MapUpdateFlags.Exist);
        Assert.Equal(unchecked((ulong)-Errno.ENOENT), update.Run(context));
        Assert.Equal(0UL, lookup.Run(context));
        Assert.Equal(unchecked((ulong)-Errno.ENOENT), delete.Run(context));
        BinaryPrimitives.WriteUInt32LittleEndian(context, 9);
        Assert.Equal((ulong)map.Lookup(Key(9)), lookup.Run(context));
        Assert.Equal(1234UL, ReadValue(map, 9));
        Assert.Equal(0UL, delete.Run(context));
        Assert.Equal(0, map.Count);
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void ProgramsIncrementPerCpuValuesOnTheirSlot(string engine)
    {
        using var map = new HashMap(new MapSpec("pch", MapType.LruPerCpuHash, 4, 8, 8));
        using var program = TestEngines.Load(engine, MapPrograms.AtomicIncrement(), [map]);
        var context = Key(3);
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(0UL, program.Run(context));
        }
        ulong total = 0;
        for (var slot = 0; slot < map.SlotCount; slot++)
        {
            total += ReadSlot(map, 3, slot);
        }
        Assert.Equal(100UL, total);
    }

    [Fact]
    public unsafe void LookupsNeverMissAStableKeyWhileOthersChurn()
    {
        using var map = new HashMap(new MapSpec("h", MapType.Hash, 4, 8, 64));
        map.Update(Key(1000), Value(42), 0);
        var stop = 0;
        var misses = 0;
        var churners = Enumerable.Range(0, 2).Select(t => new Thread(() =>
        {
            var k = (uint)(t * 100);
            while (Volatile.Read(ref stop) == 0)
            {
                for (uint i = 0; i < 60; i++)
                {
                    map.Update(Key(k + i), Value(i), 0);
                }
                for (uint i = 0; i < 60; i++)
                {
                    map.Delete(Key(k + i));
                }
            }
        })).ToList();
        churners.ForEach(t => t.Start());
        for (var i = 0; i < 200_000; i++)
        {
            var address = map.Lookup(Key(1000));
            if (address == 0 || *(ulong*)address != 42)
            {
                misses++;
            }
        }
        Volatile.Write(ref stop, 1);
        churners.ForEach(t => t.Join());
        Assert.Equal(0, misses);
    }

    private static unsafe ulong ReadValue(HashMap map, uint key) => *(ulong*)map.Lookup(Key(key));

    private static unsafe ulong ReadSlot(HashMap map, uint key, int slot) => *(ulong*)map.LookupSlot(Key(key), slot);
}
