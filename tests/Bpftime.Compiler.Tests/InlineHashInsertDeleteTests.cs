using System.Buffers.Binary;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.X64;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Hosting;
using Bpftime.Isa;
using Bpftime.Maps;
using Bpftime.Objects;
using Level = Bpftime.Compiler.Tests.InlineLookupTests.Level;
using Run = Bpftime.Compiler.Tests.InlineUpdateTests.Run;

namespace Bpftime.Compiler.Tests;

/// <summary>
/// Insertions and deletions of plain and per-CPU hash maps that compiled code does itself under the
/// map's lock, against the helper as the interpreter calls it: the same r0 and the same map (keys,
/// every per-CPU copy, iteration order) after sequences of inserts, deletes and updates with every flag
/// that fill the map, delete absent keys and reuse freed elements; the copies a per-CPU insertion
/// leaves; hostile key pointers, disposed maps, another thread holding the lock; and programs inserting
/// and deleting while the host does the same, iterates and looks up from other threads.
/// </summary>
public sealed class InlineHashInsertDeleteTests
{
    /// <summary>ctx[16] (the value source of <see cref="InlineUpdateTests.UpdateProgram"/>) asking for a delete.</summary>
    private const ulong Delete = 3;

    /// <summary>ctx[16] asking for a lookup (which marks an LRU map's element referenced: a second chance at eviction).</summary>
    private const ulong Lookup = 4;

    /// <summary>
    /// <see cref="InlineUpdateTests.UpdateProgram"/> (key at ctx[0], flags at ctx[8], value from ctx[24..]),
    /// except that ctx[16] = <see cref="Delete"/> makes it bpf_map_delete_elem of the key, and <see cref="Lookup"/>
    /// bpf_map_lookup_elem (r0 = 1 when found, else 0). r0 = what the helper answered.
    /// </summary>
    internal static Instruction[] UpdateOrDeleteProgram()
    {
        var update = InlineUpdateTests.UpdateProgram();
        Instruction[] delete = [.. CallWithKeyFromContext(HelperIds.MapDeleteElem), Code.Exit()];
        return
        [
            Code.LoadDw(7, 1, 16),
            Code.JeqImm(7, (int)Delete, (short)(update.Length + 1)),
            Code.JeqImm(7, (int)Lookup, (short)(update.Length + delete.Length)),
            .. update,
            .. delete,
            .. CallWithKeyFromContext(HelperIds.MapLookupElem),
            Code.JeqImm(0, 0, 1),
            Code.Mov64(0, 1),
            Code.Exit(),
        ];
    }

    /// <summary>r2 = the key pointer the given instructions set, then bpf_map_delete_elem: r0 its result.</summary>
    private static Instruction[] DeleteWith(Instruction[] key) =>
    [
        new(0x7a, 10, 0, -8, 1),           // *(u64 *)(r10 - 8) = 1: a key on the stack
        .. Code.LoadImm64(1, 0, (byte)LoadImm64Source.MapByIndex),
        .. key,
        Code.Call(HelperIds.MapDeleteElem),
        Code.Exit(),
    ];

    private static byte[] Value(ulong word)
    {
        var value = new byte[8 * InlineUpdateTests.ValueWords];
        for (var i = 0; i < InlineUpdateTests.ValueWords; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(value.AsSpan(8 * i), word + (ulong)i);
        }
        return value;
    }

    /// <summary>Inserts, deletes and updates of keys 0..entries+3 (more than fit) with every flag, absent keys deleted, freed elements reused.</summary>
    private static List<Run> Runs(uint entries, int seed)
    {
        var random = new Random(seed);
        ulong[] flags = [MapUpdateFlags.Any, MapUpdateFlags.NoExist, MapUpdateFlags.Exist, 3, MapUpdateFlags.Lock, 0x100];
        var runs = new List<Run>();
        // Fill past full, then delete everything (twice: the second time every key is absent), then mix.
        for (ulong key = 0; key < entries + 2; key++)
        {
            runs.Add(new Run(key, key % 2 == 0 ? MapUpdateFlags.Any : MapUpdateFlags.NoExist, 0, Value(0x1000 + key)));
        }
        for (var pass = 0; pass < 2; pass++)
        {
            for (ulong key = 0; key < entries + 2; key++)
            {
                runs.Add(new Run(key, 0, Delete, Value(0)));
            }
        }
        ulong[] hostile = [0x7fffffff, 0xffffffff, 0x1_0000_0000UL | 1, ulong.MaxValue];
        for (var i = 0; i < 300; i++)
        {
            var key = random.Next(8) == 0 ? hostile[random.Next(hostile.Length)] : (ulong)random.Next((int)entries + 4);
            runs.Add(random.Next(4) switch
            {
                0 => new Run(key, 0, Delete, Value(0)),
                1 => new Run(key, 0, Lookup, Value(0)),
                _ => new Run(key, random.Next(4) == 0 ? flags[random.Next(flags.Length)] : flags[random.Next(3)], 0, Value((ulong)random.NextInt64())),
            });
        }
        return runs;
    }

    private static void AssertSameAsHelper(Func<HashMap> create, bool verified)
    {
        bool evicts;
        using (var probe = create())
        {
            evicts = probe.Type is MapType.LruHash or MapType.LruPerCpuHash;
        }
        var answers = InlineUpdateTests.AssertSameAsHelper(create, verified, UpdateOrDeleteProgram(), entries => Runs(entries, (int)entries));
        // The runs reach every answer: inserted, absent, present, refused flags and (unless the map evicts) full.
        foreach (var answer in new[] { 0, -Errno.ENOENT, -Errno.EEXIST, -Errno.EINVAL, evicts ? 0 : -Errno.E2BIG })
        {
            Assert.Contains(unchecked((ulong)(long)answer), answers);
        }
    }

    public static TheoryData<MapType, uint, uint, bool> Shapes
    {
        get
        {
            var data = new TheoryData<MapType, uint, uint, bool>();
            foreach (var type in new[] { MapType.Hash, MapType.PerCpuHash, MapType.LruHash, MapType.LruPerCpuHash })
            {
                foreach (var (keySize, valueSize) in new (uint, uint)[] { (4, 1), (4, 8), (8, 12), (4, 40), (8, 64), (4, 72) })
                {
                    data.Add(type, keySize, valueSize, true);
                    data.Add(type, keySize, valueSize, false);
                }
            }
            return data;
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Shapes))]
    public void InsertsDeletesAndUpdatesMatchTheHelper(MapType type, uint keySize, uint valueSize, bool verified) =>
        AssertSameAsHelper(() => new HashMap(new MapSpec("hash", type, keySize, valueSize, 8)), verified);

    [SkippableTheory]
    [MemberData(nameof(InlineLookupTests.Modes), MemberType = typeof(InlineLookupTests))]
    public void MapsTheCodeLeavesToTheHelperInsertAndDeleteAsBefore(bool verified)
    {
        AssertSameAsHelper(() => new HashMap(new MapSpec("short", MapType.Hash, 2, 8, 8)), verified);
        AssertSameAsHelper(() => new HashMap(new MapSpec("locked", MapType.Hash, 4, 16, 8)) { SpinLockOffset = 8 }, verified);
        AssertSameAsHelper(() => new HashMap(new MapSpec("locked", MapType.LruHash, 4, 16, 8)) { SpinLockOffset = 8 }, verified);
    }

    /// <summary>
    /// On a processor other than 0, a per-CPU insertion reusing a freed element whose copies the host had
    /// filled writes the copy of that processor and leaves every other copy zero, as the helper does.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(InlineLookupTests.Modes), MemberType = typeof(InlineLookupTests))]
    public void APerCpuInsertionWritesTheProcessorsCopyAndZeroesTheOthers(bool verified)
    {
        LlvmRequirement.SkipIfMissing();
        using var pinned = OneProcessor.Last();
        var slot = OneProcessor.Processor % PerCpu.SlotCount;
        Skip.If(slot == 0, "the thread may run on processor 0 only, whose copy is slot 0 either way");
        foreach (var level in InlineLookupTests.Compiled.Prepend(InlineLookupTests.Reference))
        {
            Skip.IfNot(level.Create().IsAvailable(out var why), why);
            using var map = new HashMap(new MapSpec("percpu", MapType.PerCpuHash, 4, 12, 4));
            var key = BitConverter.GetBytes(5);
            // Every copy of the element the insertion will reuse is dirty.
            Assert.Equal(0, map.Update(key, Enumerable.Repeat((byte)0xEE, (int)(map.SlotStride * (ulong)map.SlotCount)).ToArray(), 0));
            Assert.Equal(0, map.Delete(key));
            var image = new ProgramImage("insert", UpdateOrDeleteProgram(), StandardHelpers.CreateDefault()) { Maps = [map], Verified = verified };
            using var executable = level.Create().Load(image, new EngineOptions { OptimizationLevel = level.OptimizationLevel });
            Assert.Equal(0UL, executable.Run(InlineUpdateTests.Context(new Run(5, MapUpdateFlags.NoExist, 0, Value(0x0102_0304_0506_0708UL)))));
            for (var s = 0; s < map.SlotCount; s++)
            {
                var bytes = Copy(map.LookupSlot(key, s), 16);
                var expected = new byte[16];
                if (s == slot)
                {
                    Value(0x0102_0304_0506_0708UL).AsSpan(0, 12).CopyTo(expected);
                }
                Assert.True(expected.AsSpan().SequenceEqual(bytes), $"{level}: slot {s} holds {Convert.ToHexString(bytes)} (the code runs in slot {slot})");
            }
            Assert.Equal(1, map.Count);
        }
    }

    private static unsafe byte[] Copy(nint address, int length) => new ReadOnlySpan<byte>((void*)address, length).ToArray();

    [SkippableTheory]
    [MemberData(nameof(InlineUpdateTests.HostilePointers), MemberType = typeof(InlineUpdateTests))]
    public void HostilePointersToAnInsertionAreRefusedAsTheHelperRefusesThem(string what)
    {
        // Key 1 is absent: the update the program asks for is an insertion.
        InlineUpdateTests.AssertHostilePointersRefused(what, () => new HashMap(new MapSpec("hash", MapType.Hash, 8, 8, 4)));
        InlineUpdateTests.AssertHostilePointersRefused(what, () => new HashMap(new MapSpec("hash", MapType.PerCpuHash, 8, 8, 4)));
        InlineUpdateTests.AssertHostilePointersRefused(what, () => new HashMap(new MapSpec("lru", MapType.LruHash, 8, 8, 4)));
        InlineUpdateTests.AssertHostilePointersRefused(what, () => new HashMap(new MapSpec("lru", MapType.LruPerCpuHash, 8, 8, 4)));
    }

    /// <summary>Checked code deleting through key pointers it may not read: every level faults as the helper does, and the map keeps its keys.</summary>
    [SkippableTheory]
    [InlineData("key far away")]
    [InlineData("key past the frame")]
    [InlineData("key straddling the frame's end")]
    [InlineData("key in host memory")]
    [InlineData("key NULL")]
    public void HostileKeyPointersToADeleteAreRefusedAsTheHelperRefusesThem(string what)
    {
        LlvmRequirement.SkipIfMissing();
        var host = (ulong)InlineUpdateTests.NativeMemoryBlock.Value;
        Instruction[] key = what switch
        {
            "key far away" => [.. Code.LoadImm64(2, 0x10000)],
            "key past the frame" => [Code.Mov64Reg(2, 10)],
            "key straddling the frame's end" => [Code.Mov64Reg(2, 10), Code.Add64(2, -4)],
            "key in host memory" => [.. Code.LoadImm64(2, (long)host)],
            _ => [Code.Mov64(2, 0)],
        };
        foreach (var type in new[] { MapType.Hash, MapType.PerCpuHash, MapType.LruHash, MapType.LruPerCpuHash })
        {
            // The key the hostile pointer would name is present (host memory holds 0x0101..., the stack 1).
            InlineUpdateTests.AssertRefusedAsTheHelperRefuses(DeleteWith(key), () =>
            {
                var map = new HashMap(new MapSpec("hash", type, 8, 8, 4));
                Assert.Equal(0, map.Update(BitConverter.GetBytes(0x0101010101010101UL), new byte[8], 0));
                Assert.Equal(0, map.Update(BitConverter.GetBytes(1UL), new byte[8], 0));
                return map;
            }, $"{type}, {what}", "map_delete_elem");
        }
    }

    /// <summary>Verified code passing a NULL key to delete: every level answers as the helper does, and the map keeps its keys.</summary>
    [SkippableFact]
    public void ANullKeyToADeleteInVerifiedCodeIsAnsweredAsTheHelperAnswers()
    {
        LlvmRequirement.SkipIfMissing();
        ulong? expected = null;
        foreach (var level in InlineLookupTests.Compiled.Prepend(InlineLookupTests.Reference))
        {
            Skip.IfNot(level.Create().IsAvailable(out var why), why);
            using var map = new HashMap(new MapSpec("hash", MapType.Hash, 8, 8, 4));
            Assert.Equal(0, map.Update(BitConverter.GetBytes(0UL), new byte[8], 0));
            var image = new ProgramImage("null", DeleteWith([Code.Mov64(2, 0)]), StandardHelpers.CreateDefault()) { Maps = [map], Verified = true };
            using var executable = level.Create().Load(image, new EngineOptions { OptimizationLevel = level.OptimizationLevel });
            var result = executable.Run(new byte[8]);
            expected ??= result;
            Assert.Equal(expected, result);
            Assert.Equal(1, map.Count);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(InlineLookupTests.Modes), MemberType = typeof(InlineLookupTests))]
    public void ADisposedHashMapIsChangedByNeitherTheCodeNorTheHelper(bool verified)
    {
        // Key 1 is absent from the empty map: the first run inserts it.
        InlineUpdateTests.AssertDisposedMapIsLeftAlone(() => new HashMap(new MapSpec("hash", MapType.Hash, 4, 8, 4)), verified);
        InlineUpdateTests.AssertDisposedMapIsLeftAlone(() => new HashMap(new MapSpec("hash", MapType.PerCpuHash, 8, 8, 4)), verified);
        InlineUpdateTests.AssertDisposedMapIsLeftAlone(() => new HashMap(new MapSpec("lru", MapType.LruHash, 8, 8, 4)), verified);
        InlineUpdateTests.AssertDisposedMapIsLeftAlone(() => new HashMap(new MapSpec("lru", MapType.LruPerCpuHash, 4, 8, 4)), verified);
        foreach (var type in new[] { MapType.Hash, MapType.LruHash })
        {
            AssertDisposedMapRefusesDeletes(type, verified);
        }
    }

    private static void AssertDisposedMapRefusesDeletes(MapType type, bool verified)
    {
        string? expected = null;
        foreach (var level in InlineLookupTests.Compiled.Prepend(InlineLookupTests.Reference))
        {
            var map = new HashMap(new MapSpec("hash", type, 8, 8, 4));
            Assert.Equal(0, map.Update(BitConverter.GetBytes(1UL), new byte[8], 0));
            var image = new ProgramImage("delete", DeleteWith([Code.Mov64Reg(2, 10), Code.Add64(2, -8)]), StandardHelpers.CreateDefault()) { Maps = [map], Verified = verified };
            using var executable = level.Create().Load(image, new EngineOptions { OptimizationLevel = level.OptimizationLevel });
            Assert.Equal(0UL, executable.Run(new byte[8]));
            Assert.Equal(unchecked((ulong)-Errno.ENOENT), executable.Run(new byte[8]));
            map.Dispose();
            // As the helper answers for a map that is gone: verified code gets an error, checked code's run is refused.
            string outcome;
            try
            {
                outcome = $"r0 = {(long)executable.Run(new byte[8])}";
            }
            catch (BpfException error)
            {
                outcome = $"refused with {error.Diagnostics[0].Code}";
            }
            expected ??= outcome;
            Assert.True(expected == outcome, $"{level}: after disposal the helper's delete gave {expected}, the code's {outcome}");
        }
        if (verified)
        {
            Assert.Equal($"r0 = {-Errno.EINVAL}", expected);
        }
        else
        {
            Assert.StartsWith("refused with ", expected);
        }
    }

    /// <summary>
    /// The test holds the map's lock word: an insertion and a deletion by the code wait for it (through
    /// the helper), change nothing while it is held, and finish once it is free, on every compiled level.
    /// </summary>
    [SkippableTheory]
    [InlineData(MapType.Hash, true)]
    [InlineData(MapType.Hash, false)]
    [InlineData(MapType.PerCpuHash, true)]
    [InlineData(MapType.PerCpuHash, false)]
    [InlineData(MapType.LruHash, true)]
    [InlineData(MapType.LruPerCpuHash, false)]
    public unsafe void InsertionsAndDeletionsWaitWhileAnotherThreadHoldsTheMapsLock(MapType type, bool verified)
    {
        LlvmRequirement.SkipIfMissing();
        foreach (var level in InlineLookupTests.Compiled)
        {
            Skip.IfNot(level.Create().IsAvailable(out var why), why);
            using var map = new HashMap(new MapSpec("hash", type, 4, 8, 4));
            Assert.Equal(0, map.Update(BitConverter.GetBytes(3), new byte[8], 0));
            var image = new ProgramImage("insert", UpdateOrDeleteProgram(), StandardHelpers.CreateDefault()) { Maps = [map], Verified = verified };
            using var executable = level.Create().Load(image, new EngineOptions { OptimizationLevel = level.OptimizationLevel });
            var lockWord = (int*)((nint*)map.StorageCell)[1];
            Assert.True(lockWord != null, "a plain hash map offers its lock word to compiled code");
            foreach (var (run, present) in new[] { (new Run(2, MapUpdateFlags.NoExist, 0, Value(9)), (2, true)), (new Run(3, 0, Delete, Value(0)), (3, false)) })
            {
                Assert.Equal(0, Interlocked.CompareExchange(ref *lockWord, 1, 0));
                var context = InlineUpdateTests.Context(run);
                var task = Task.Run(() => executable.Run(context));
                try
                {
                    Assert.False(task.Wait(TimeSpan.FromMilliseconds(300)), $"{level}: the program finished while another thread held the map's lock");
                    // The test holds the lock word but not the map's managed lock: a lock-free lookup still answers.
                    Assert.Equal(!present.Item2, map.Lookup(BitConverter.GetBytes(present.Item1)) != 0);
                }
                finally
                {
                    Volatile.Write(ref *lockWord, 0);
                }
                Assert.True(task.Wait(TimeSpan.FromSeconds(60)), $"{level}: the program did not finish once the lock was free");
                Assert.Equal(0UL, task.Result);
                Assert.Equal(present.Item2, map.Lookup(BitConverter.GetBytes(present.Item1)) != 0);
            }
            Assert.Equal(1, map.Count);
        }
    }

    /// <summary>
    /// Programs insert and delete keys 0..11 (tracking which they hold) while the host inserts and deletes
    /// keys 100..103, iterates the map and looks keys up, and a second program looks up keys 200..203
    /// (inserted first, never removed) and 300..303 (never inserted), all on a 16-entry map where chains
    /// are shared: every answer agrees with what its thread did, the present keys are always found whole
    /// and the absent never, iteration shows only inserted keys, and afterwards the count, the keys and the
    /// free list agree (the map fills to exactly its size, and empties).
    /// </summary>
    [SkippableFact]
    public unsafe void ProgramsAndTheHostInsertAndDeleteConcurrentlyWithoutLosingElements()
    {
        LlvmRequirement.SkipIfMissing();
        foreach (var level in ConcurrentLevels)
        {
            Skip.IfNot(level.Create().IsAvailable(out var why), why);
            using var map = new HashMap(new MapSpec("hash", MapType.Hash, 4, 16, 16));
            static ulong Pattern(ulong key) => 0xA5A5_0000_0000_0000UL | (key * 0x1_0001UL);
            for (ulong key = 200; key < 204; key++)
            {
                Assert.Equal(0, map.Update(BitConverter.GetBytes((uint)key), [.. BitConverter.GetBytes(Pattern(key)), .. BitConverter.GetBytes(Pattern(key))], 0));
            }
            var image = new ProgramImage("insert", UpdateOrDeleteProgram(), StandardHelpers.CreateDefault()) { Maps = [map], Verified = true };
            using var executable = level.Create().Load(image, new EngineOptions { OptimizationLevel = level.OptimizationLevel });
            var lookupImage = new ProgramImage("lookup", LookupValueProgram(), StandardHelpers.CreateDefault()) { Maps = [map], Verified = true };
            using var lookup = level.Create().Load(lookupImage, new EngineOptions { OptimizationLevel = level.OptimizationLevel });
            using var stop = new CancellationTokenSource();
            var hostHeld = new bool[4];
            var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
            var host = Task.Run(() =>
            {
                var random = new Random(3);
                while (!stop.IsCancellationRequested)
                {
                    var k = random.Next(4);
                    var key = BitConverter.GetBytes(100 + k);
                    if (random.Next(2) == 0)
                    {
                        var result = map.Update(key, new byte[16], MapUpdateFlags.NoExist);
                        var expected = hostHeld[k] ? -Errno.EEXIST : result == -Errno.E2BIG ? -Errno.E2BIG : 0;
                        if (result != expected)
                        {
                            failures.Enqueue($"host insert of {100 + k} answered {result}, expected {expected}");
                        }
                        hostHeld[k] |= result == 0;
                    }
                    else
                    {
                        var result = map.Delete(key);
                        if (result != (hostHeld[k] ? 0 : -Errno.ENOENT))
                        {
                            failures.Enqueue($"host delete of {100 + k} answered {result} while {(hostHeld[k] ? "held" : "absent")}");
                        }
                        hostHeld[k] = false;
                    }
                    // Iteration is not a snapshot (an element may change keys while it runs), but every key it shows is one some thread inserted.
                    var visited = map.ForEach((keyAddress, _) =>
                    {
                        var key = *(uint*)keyAddress;
                        if (key is not (< 12 or (>= 100 and < 104) or (>= 200 and < 204)))
                        {
                            failures.Enqueue($"iteration showed key {key}, which no thread inserted");
                        }
                        return true;
                    });
                    if (visited > 16)
                    {
                        failures.Enqueue($"iteration visited {visited} elements of a 16-entry map");
                    }
                    for (ulong permanent = 200; permanent < 204; permanent++)
                    {
                        var value = map.Lookup(BitConverter.GetBytes((uint)permanent));
                        if (value == 0 || *(ulong*)value != Pattern(permanent) || ((ulong*)value)[1] != Pattern(permanent))
                        {
                            failures.Enqueue($"the host's lookup of {permanent} gave {(value == 0 ? "NULL" : "a torn value")}");
                        }
                    }
                }
            });
            var reader = Task.Run(() =>
            {
                var context = new byte[8];
                var i = 0;
                while (!stop.IsCancellationRequested)
                {
                    var key = (ulong)(200 + (i % 4) + (i % 8 >= 4 ? 100 : 0));
                    i++;
                    BinaryPrimitives.WriteUInt64LittleEndian(context, key);
                    var result = lookup.Run(context);
                    var expected = key < 300 ? Pattern(key) : 0;
                    if (result != expected)
                    {
                        failures.Enqueue($"the program's lookup of {key} gave 0x{result:x}");
                    }
                }
            });
            var held = new bool[12];
            try
            {
                var random = new Random(4);
                for (var i = 0; i < 30_000 && failures.IsEmpty; i++)
                {
                    var k = random.Next(12);
                    if (random.Next(2) == 0)
                    {
                        var result = (long)executable.Run(InlineUpdateTests.Context(new Run((ulong)k, MapUpdateFlags.NoExist, 0, Value(Pattern((ulong)k)))));
                        var ok = held[k] ? result == -Errno.EEXIST : result is 0 or -Errno.E2BIG;
                        Assert.True(ok, $"{level}: insert of {k} answered {result} while {(held[k] ? "held" : "absent")}");
                        held[k] |= result == 0;
                    }
                    else
                    {
                        var result = (long)executable.Run(InlineUpdateTests.Context(new Run((ulong)k, 0, Delete, Value(0))));
                        Assert.True(result == (held[k] ? 0 : -Errno.ENOENT), $"{level}: delete of {k} answered {result} while {(held[k] ? "held" : "absent")}");
                        held[k] = false;
                    }
                }
            }
            finally
            {
                stop.Cancel();
                host.Wait();
                reader.Wait();
            }
            Assert.True(failures.IsEmpty, $"{level}: {string.Join("; ", failures.Take(5))}");

            // The map holds exactly what each thread left, each key once, with a count to match.
            var keys = KeysOf(map);
            var expectedKeys = Enumerable.Range(0, 12).Where(k => held[k]).Select(k => (uint)k)
                .Concat(Enumerable.Range(0, 4).Where(k => hostHeld[k]).Select(k => (uint)(100 + k)))
                .Concat([200u, 201u, 202u, 203u]).Order().ToList();
            Assert.Equal(expectedKeys, keys.Order().ToList());
            Assert.Equal(expectedKeys.Count, map.Count);
            for (var k = 0; k < 12; k++)
            {
                if (held[k])
                {
                    Assert.Equal(Value(Pattern((ulong)k)).AsSpan(0, 16).ToArray(), Copy(map.Lookup(BitConverter.GetBytes(k)), 16));
                }
            }

            // No element was lost or given twice: the free list holds exactly the rest.
            for (var extra = 0; map.Count < 16; extra++)
            {
                Assert.Equal(0, map.Update(BitConverter.GetBytes(1000 + extra), new byte[16], MapUpdateFlags.NoExist));
            }
            Assert.Equal(-Errno.E2BIG, map.Update(BitConverter.GetBytes(5000), new byte[16], 0));
            var all = KeysOf(map);
            Assert.Equal(16, all.Distinct().Count());
            foreach (var key in all)
            {
                Assert.Equal(0, map.Delete(BitConverter.GetBytes(key)));
            }
            Assert.Equal(0, map.Count);
            Assert.Equal(unchecked((ulong)-Errno.ENOENT), executable.Run(InlineUpdateTests.Context(new Run(200, 0, Delete, Value(0)))));
            for (ulong key = 0; key < 16; key++)
            {
                Assert.Equal(0UL, executable.Run(InlineUpdateTests.Context(new Run(key, MapUpdateFlags.NoExist, 0, Value(key)))));
            }
            Assert.Equal(unchecked((ulong)-Errno.E2BIG), executable.Run(InlineUpdateTests.Context(new Run(16, MapUpdateFlags.Any, 0, Value(16)))));
            Assert.Equal(16, map.Count);
        }
    }

    /// <summary>
    /// LRU maps: programs update present keys, insert and delete keys 0..11 (or, evicting, 0..39) of a
    /// 16-entry map while the host updates, inserts and deletes keys 100..103 and looks keys up (marking
    /// them referenced), so both move elements in the one recency list. Without evictions every answer
    /// agrees with what its thread did; with them (the programs' insertions into the full map evict, the
    /// host's keys among others) updates still succeed and deletes find the key or answer -ENOENT.
    /// Afterwards the map holds each key once, as many as its count, and the list is whole: emptied, the
    /// map takes 16 fresh keys without evicting, and 16 more evict those exactly in insertion order.
    /// </summary>
    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public unsafe void ProgramsAndTheHostShareAnLruMapsRecencyListWithoutBreakingIt(bool evicting)
    {
        var programKeys = evicting ? 40 : 12;
        LlvmRequirement.SkipIfMissing();
        foreach (var level in ConcurrentLevels)
        {
            Skip.IfNot(level.Create().IsAvailable(out var why), why);
            using var map = new HashMap(new MapSpec("lru", MapType.LruHash, 4, 16, 16));
            var image = new ProgramImage("update", UpdateOrDeleteProgram(), StandardHelpers.CreateDefault()) { Maps = [map], Verified = true };
            using var executable = level.Create().Load(image, new EngineOptions { OptimizationLevel = level.OptimizationLevel });
            using var stop = new CancellationTokenSource();
            var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
            var host = Task.Run(() =>
            {
                var random = new Random(5);
                var hostHeld = new bool[4];
                while (!stop.IsCancellationRequested)
                {
                    var k = random.Next(4);
                    var key = BitConverter.GetBytes(100 + k);
                    switch (random.Next(3))
                    {
                        case 0:
                            var result = map.Update(key, new byte[16], MapUpdateFlags.Any);
                            if (result != 0)
                            {
                                failures.Enqueue($"host update of {100 + k} answered {result}");
                            }
                            hostHeld[k] = true;
                            break;
                        case 1:
                            var deleted = map.Delete(key);
                            if (evicting ? deleted is not (0 or -Errno.ENOENT) : deleted != (hostHeld[k] ? 0 : -Errno.ENOENT))
                            {
                                failures.Enqueue($"host delete of {100 + k} disagreed with {(hostHeld[k] ? "held" : "absent")}");
                            }
                            hostHeld[k] = false;
                            break;
                        default:
                            if (!evicting && (map.Lookup(key) != 0) != hostHeld[k])
                            {
                                failures.Enqueue($"host lookup of {100 + k} disagreed with {(hostHeld[k] ? "held" : "absent")}");
                            }
                            break;
                    }
                }
            });
            var held = new bool[programKeys];
            try
            {
                var random = new Random(6);
                for (var i = 0; i < 30_000 && failures.IsEmpty; i++)
                {
                    var k = random.Next(programKeys);
                    if (random.Next(3) == 0)
                    {
                        var result = (long)executable.Run(InlineUpdateTests.Context(new Run((ulong)k, 0, Delete, Value(0))));
                        var expected = held[k] ? 0 : -Errno.ENOENT;
                        Assert.True(evicting ? result is 0 or -Errno.ENOENT : result == expected, $"{level}: delete of {k} answered {result} while {(held[k] ? "held" : "absent")}");
                        held[k] = false;
                    }
                    else
                    {
                        var result = (long)executable.Run(InlineUpdateTests.Context(new Run((ulong)k, MapUpdateFlags.Any, 0, Value((ulong)k))));
                        Assert.True(result == 0, $"{level}: update of {k} answered {result}");
                        held[k] = true;
                    }
                }
            }
            finally
            {
                stop.Cancel();
                host.Wait();
            }
            Assert.True(failures.IsEmpty, $"{level}: {string.Join("; ", failures.Take(5))}");
            var left = KeysOf(map);
            Assert.Equal(left.Count, left.Distinct().Count());
            Assert.Equal(left.Count, map.Count);
            Assert.True(left.Count <= 16, $"{level}: a 16-entry map holds {left.Count} keys");
            for (var k = 0; k < programKeys; k++)
            {
                // An evicted key is absent though its thread last stored it; a key its thread deleted is absent either way.
                Assert.True(map.Lookup(BitConverter.GetBytes(k)) == 0 || held[k], $"{level}: key {k} is present though its thread deleted it");
                Assert.True(evicting || held[k] == (map.Lookup(BitConverter.GetBytes(k)) != 0), $"{level}: key {k} is {(held[k] ? "absent" : "present")}");
            }

            // The recency list is whole: emptied, then filled, then every insertion evicts the oldest.
            var keys = KeysOf(map);
            foreach (var key in keys)
            {
                Assert.Equal(0, map.Delete(BitConverter.GetBytes(key)));
            }
            Assert.Equal(0, map.Count);
            for (var k = 0; k < 16; k++)
            {
                Assert.Equal(0UL, executable.Run(InlineUpdateTests.Context(new Run((ulong)(1000 + k), MapUpdateFlags.NoExist, 0, Value(1)))));
            }
            Assert.Equal(16, map.Count);
            for (var k = 0; k < 16; k++)
            {
                Assert.Equal(0, map.Update(BitConverter.GetBytes(2000 + k), new byte[16], MapUpdateFlags.NoExist));
                // Only the evicted key is looked up (absent: nothing marked), so the next stays the coldest.
                Assert.True(map.Lookup(BitConverter.GetBytes(1000 + k)) == 0, $"{level}: insertion {k} into the full map did not evict the oldest key, {1000 + k}");
                Assert.Equal(16, map.Count);
            }
        }
    }

    [Fact]
    public void JitCodeDeletesItselfOnlyFromHashMaps()
    {
        var bindings = new JitBindings(0, h => h.NativeEntry, _ => 0);
        var program = DeleteWith([Code.Mov64Reg(2, 10), Code.Add64(2, -8)]);
        using var hash = new HashMap(new MapSpec("hash", MapType.Hash, 8, 8, 4));
        using var perCpu = new HashMap(new MapSpec("percpu", MapType.PerCpuHash, 8, 8, 4));
        using var lru = new HashMap(new MapSpec("lru", MapType.LruHash, 8, 8, 4));
        using var array = ArrayMap.Create("a", 8, 4);
        // The code reads the lock word through the map's cell (movabs of its address) only where it deletes itself.
        foreach (var (map, inline) in new (BpfMap, bool)[] { (hash, true), (perCpu, true), (lru, true), (array, false) })
        {
            var compiled = X64Compiler.Compile(new ProgramImage("delete", program, StandardHelpers.CreateDefault()) { Maps = [map], Verified = true }, bindings);
            Assert.True(inline == compiled.Code.AsSpan().IndexOf(BitConverter.GetBytes((long)map.StorageCell)) >= 0, $"{map.Type}: expected the delete {(inline ? "done by the code" : "left to the helper")}");
        }
    }

    /// <summary>One level of each engine that compiles the code: the concurrency tests' levels.</summary>
    private static readonly Level[] ConcurrentLevels = [new("jit", 0), new("llvm-jit", 3), new("aot", 3)];

    /// <summary>The 4-byte keys the map holds, in iteration order.</summary>
    private static unsafe List<uint> KeysOf(HashMap map)
    {
        var keys = new List<uint>();
        map.ForEach((keyAddress, _) =>
        {
            keys.Add(*(uint*)keyAddress);
            return true;
        });
        return keys;
    }

    /// <summary>The u32 key at ctx[0] looked up: r0 = the value's first 8 bytes, or 0 when absent.</summary>
    private static Instruction[] LookupValueProgram() =>
    [
        .. CallWithKeyFromContext(HelperIds.MapLookupElem),
        Code.JeqImm(0, 0, 1),
        Code.LoadDw(0, 0, 0),
        Code.Exit(),
    ];

    /// <summary>The u64 at ctx[0] (r1) copied to the stack, then helper(map 0, that key): r0 its answer.</summary>
    private static Instruction[] CallWithKeyFromContext(int helperId) =>
    [
        Code.LoadDw(2, 1, 0),
        Code.StoreDw(10, 2, -8),
        .. Code.LoadImm64(1, 0, (byte)LoadImm64Source.MapByIndex),
        Code.Mov64Reg(2, 10),
        Code.Add64(2, -8),
        Code.Call(helperId),
    ];
}
