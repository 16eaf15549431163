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

namespace Bpftime.Compiler.Tests;

/// <summary>
/// bpf_map_update_elem of arrays and hash maps that compiled code does itself, against the helper as the interpreter
/// calls it: the same r0 and the same map contents on every compiled level, verified and checked, over
/// keys in and out of range, every flag, values of every size (past the inline limit too), values read
/// from the stack, the context and the map itself (overlapping the target), maps the code must leave to
/// the helper (read-only, with a spin lock, per-CPU, hash) and disposed maps; hostile key and value
/// pointers in checked code are refused exactly as the helper refuses them.
/// </summary>
public sealed class InlineUpdateTests
{
    internal const int ValueWords = 10;

    /// <summary>
    /// The key (u64 at ctx[0], a 4-byte key is its low half) and 80 value bytes (ctx[24..104)) are copied
    /// to the stack; ctx[16] picks the value pointer: 0 the stack copy, 1 the context itself, 2 the
    /// map's value of key 0 plus 4 bytes (a source overlapping values of the map); ctx[8] is the flags.
    /// r0 = what bpf_map_update_elem returned.
    /// </summary>
    internal static Instruction[] UpdateProgram()
    {
        var code = new List<Instruction>
        {
            Code.Mov64Reg(6, 1),
            Code.LoadDw(2, 6, 0),
            Code.StoreDw(10, 2, -8),
        };
        for (var word = 0; word < ValueWords; word++)
        {
            code.Add(Code.LoadDw(2, 6, (short)(24 + (8 * word))));
            code.Add(Code.StoreDw(10, 2, (short)(-8 - (8 * ValueWords) + (8 * word))));
        }
        code.AddRange(
        [
            Code.LoadDw(7, 6, 16),
            Code.Mov64Reg(8, 10),
            Code.Add64(8, -8 - (8 * ValueWords)),
            JneImm(7, 1, 2),
            Code.Mov64Reg(8, 6),
            Code.Add64(8, 24),
            JneImm(7, 2, 9),
            new(0x62, 10, 0, -12 - (8 * ValueWords), 0),      // *(u32 *)(r10 - 92) = 0
            .. Code.LoadImm64(1, 0, (byte)LoadImm64Source.MapByIndex),
            Code.Mov64Reg(2, 10),
            Code.Add64(2, -12 - (8 * ValueWords)),
            Code.Call(HelperIds.MapLookupElem),
            Code.JeqImm(0, 0, 2),
            Code.Mov64Reg(8, 0),
            Code.Add64(8, 4),
            .. Code.LoadImm64(1, 0, (byte)LoadImm64Source.MapByIndex),
            Code.Mov64Reg(2, 10),
            Code.Add64(2, -8),
            Code.Mov64Reg(3, 8),
            Code.LoadDw(4, 6, 8),
            Code.Call(HelperIds.MapUpdateElem),
            Code.Exit(),
        ]);
        return [.. code];
    }

    private static Instruction JneImm(int dst, int imm, short offset) => new(0x55, (byte)dst, 0, offset, imm);

    /// <summary>r1 = map, r2 = key, r3 = value, r4 = 0 as given, then the update: r0 its result.</summary>
    internal static Instruction[] UpdateWith(Instruction[] keyAndValue) =>
    [
        Code.Mov64(4, 0),
        new(0x7a, 10, 0, -8, 1),           // *(u64 *)(r10 - 8) = 1: a key and a value on the stack
        new(0x7a, 10, 0, -16, 7),
        .. Code.LoadImm64(1, 0, (byte)LoadImm64Source.MapByIndex),
        .. keyAndValue,
        Code.Call(HelperIds.MapUpdateElem),
        Code.Exit(),
    ];

    internal sealed record Run(ulong Key, ulong Flags, ulong Source, byte[] Value);

    internal static byte[] Context(Run run)
    {
        var context = new byte[24 + (8 * ValueWords)];
        BinaryPrimitives.WriteUInt64LittleEndian(context, run.Key);
        BinaryPrimitives.WriteUInt64LittleEndian(context.AsSpan(8), run.Flags);
        BinaryPrimitives.WriteUInt64LittleEndian(context.AsSpan(16), run.Source);
        run.Value.CopyTo(context.AsSpan(24));
        return context;
    }

    private static (List<ulong> Results, byte[] Contents) Play(Level level, Func<BpfMap> create, Instruction[] program, IReadOnlyList<Run> runs, bool verified)
    {
        using var map = create();
        var image = new ProgramImage("update", program, StandardHelpers.CreateDefault()) { Maps = [map], Verified = verified };
        using var executable = level.Create().Load(image, new EngineOptions { OptimizationLevel = level.OptimizationLevel });
        var results = runs.Select(run => executable.Run(Context(run))).ToList();
        // A hash map's count is kept apart from the elements: compared too; an LRU map's recency order too.
        var count = map is HashMap hash ? $"count {hash.Count}" : "";
        var json = BpfMapDump.ToJson([map]);
        var order = map is HashMap { Type: MapType.LruHash or MapType.LruPerCpuHash } lru ? EvictionOrder(lru) : "";
        return (results, System.Text.Encoding.UTF8.GetBytes(json + count + order));
    }

    /// <summary>
    /// An LRU map's recency order as a later user sees it: the host inserts max entries fresh keys, one
    /// at a time, and notes which key each insertion evicted ("-": it took a free element). Referenced
    /// marks count too (their second chance changes which key goes first).
    /// </summary>
    internal static string EvictionOrder(HashMap map)
    {
        var keySize = (int)map.KeySize;
        HashSet<string> Keys()
        {
            var keys = new HashSet<string>();
            map.ForEach((key, _) =>
            {
                unsafe
                {
                    keys.Add(Convert.ToHexString(new ReadOnlySpan<byte>((void*)key, keySize)));
                }
                return true;
            });
            return keys;
        }
        var evicted = new List<string>();
        var before = Keys();
        for (var i = 0U; i < map.MaxEntries; i++)
        {
            var fresh = BitConverter.GetBytes(0x6000_0000UL + i).AsSpan(0, keySize);
            Assert.Equal(0, map.Update(fresh, new byte[map.ValueSize], MapUpdateFlags.NoExist));
            var after = Keys();
            var gone = before.Except(after).ToList();
            Assert.True(gone.Count <= 1, $"one insertion evicted {gone.Count} keys");
            evicted.Add(gone.Count == 0 ? "-" : gone[0]);
            before = after;
        }
        return $" evicted {string.Join(",", evicted)}";
    }

    /// <summary>A hash map holding every even key below max entries (value: the key's bytes repeated), so updates find keys present, absent and a map that fills up.</summary>
    internal static HashMap HalfFullHash(MapType type, uint keySize, uint valueSize, uint entries)
    {
        var map = new HashMap(new MapSpec("hash", type, keySize, valueSize, entries));
        for (ulong key = 0; key < entries; key += 2)
        {
            var value = new byte[valueSize];
            for (var i = 0; i < value.Length; i++)
            {
                value[i] = (byte)(key + (ulong)i);
            }
            Assert.Equal(0, map.Update(BitConverter.GetBytes(key).AsSpan(0, (int)keySize), value, 0));
        }
        return map;
    }

    private static List<Run> Runs(uint entries, int seed, int sources = 3)
    {
        var random = new Random(seed);
        var runs = new List<Run>();
        ulong[] keys = [0, 1, entries - 1, entries, entries + 1, 0x7fffffff, 0xffffffff, 0x1_0000_0000UL | 1, ulong.MaxValue];
        ulong[] flags = [MapUpdateFlags.Any, MapUpdateFlags.NoExist, MapUpdateFlags.Exist, 3, MapUpdateFlags.Lock, MapUpdateFlags.Lock | MapUpdateFlags.Exist, 0x100, ulong.MaxValue];
        byte[] Value()
        {
            var value = new byte[8 * ValueWords];
            random.NextBytes(value);
            return value;
        }
        foreach (var key in keys)
        {
            foreach (var flag in flags)
            {
                runs.Add(new Run(key, flag, (ulong)random.Next(sources), Value()));
            }
        }
        for (var i = 0; i < 80; i++)
        {
            var flag = random.Next(3) == 0 ? flags[random.Next(flags.Length)] : MapUpdateFlags.Any;
            runs.Add(new Run((ulong)random.Next((int)entries + 2), flag, (ulong)random.Next(sources), Value()));
        }
        return runs;
    }

    /// <summary>
    /// Runs <paramref name="program"/> (by default <see cref="UpdateProgram"/>) over <paramref name="runsFor"/>'s
    /// runs for the map's max entries (by default every key and flag) on the interpreter and every compiled
    /// level: the same r0 each run and the same map contents afterwards. Returns the helper's answers.
    /// </summary>
    internal static List<ulong> AssertSameAsHelper(Func<BpfMap> create, bool verified, Instruction[]? program = null, Func<uint, List<Run>>? runsFor = null)
    {
        LlvmRequirement.SkipIfMissing();
        uint entries;
        bool isHash;
        using (var probe = create())
        {
            entries = probe.MaxEntries;
            isHash = probe is HashMap;
        }
        // Hash values have no neighbour past the last one: the source overlapping the map is for arrays.
        var runs = runsFor?.Invoke(entries) ?? Runs(entries, (int)entries, isHash ? 2 : 3);
        program ??= UpdateProgram();
        // Per-CPU maps are compared slot by slot: every run of every level on the same processor.
        using var pinned = OneProcessor.Current();
        var expected = Play(InlineLookupTests.Reference, create, program, runs, verified);
        Assert.Contains(expected.Results, r => r == 0);
        Assert.Contains(expected.Results, r => r != 0);
        foreach (var level in InlineLookupTests.Compiled)
        {
            Skip.IfNot(level.Create().IsAvailable(out var why), why);
            var actual = Play(level, create, program, runs, verified);
            for (var i = 0; i < runs.Count; i++)
            {
                Assert.True(expected.Results[i] == actual.Results[i],
                    $"{level} ({(verified ? "verified" : "checked")}), run {i} (key 0x{runs[i].Key:x}, flags 0x{runs[i].Flags:x}, source {runs[i].Source}): helper gave 0x{expected.Results[i]:x}, inline 0x{actual.Results[i]:x}");
            }
            Assert.True(expected.Contents.AsSpan().SequenceEqual(actual.Contents), $"{level} ({(verified ? "verified" : "checked")}): the map differs from the helper's after the runs");
        }
        return expected.Results;
    }

    public static TheoryData<uint, bool> ValueSizes
    {
        get
        {
            var data = new TheoryData<uint, bool>();
            foreach (var size in new uint[] { 1, 3, 4, 8, 12, 24, 40, 64, 72 })
            {
                data.Add(size, true);
                data.Add(size, false);
            }
            return data;
        }
    }

    [SkippableTheory]
    [MemberData(nameof(ValueSizes))]
    public void ArrayUpdatesMatchTheHelperForEveryValueSize(uint valueSize, bool verified) =>
        AssertSameAsHelper(() => ArrayMap.Create("values", valueSize, 8), verified);

    [SkippableTheory]
    [MemberData(nameof(ValueSizes))]
    public void HashUpdatesMatchTheHelperForEveryValueSize(uint valueSize, bool verified)
    {
        AssertSameAsHelper(() => HalfFullHash(MapType.Hash, 4, valueSize, 16), verified);
        AssertSameAsHelper(() => HalfFullHash(MapType.Hash, 8, valueSize, 8), verified);
    }

    /// <summary>LRU hash maps: the same answers, contents and recency order (the keys later insertions evict), for every value size.</summary>
    [SkippableTheory]
    [MemberData(nameof(ValueSizes))]
    public void LruHashUpdatesMatchTheHelperForEveryValueSize(uint valueSize, bool verified)
    {
        AssertSameAsHelper(() => HalfFullHash(MapType.LruHash, 4, valueSize, 16), verified);
        AssertSameAsHelper(() => HalfFullHash(MapType.LruPerCpuHash, 8, valueSize, 8), verified);
    }

    [SkippableTheory]
    [MemberData(nameof(InlineLookupTests.Modes), MemberType = typeof(InlineLookupTests))]
    public void MapsTheCodeLeavesToTheHelperAnswerAsBefore(bool verified)
    {
        // Read-only for programs, a spin lock in the value, other key sizes: the helper decides.
        AssertSameAsHelper(() => new ArrayMap(new MapSpec("ro", MapType.Array, 4, 8, 8) { Flags = ArrayMap.ReadOnlyForProgramsFlag }), verified);
        AssertSameAsHelper(() => new ArrayMap(new MapSpec("locked", MapType.Array, 4, 16, 8)) { SpinLockOffset = 8 }, verified);
        AssertSameAsHelper(() => new HashMap(new MapSpec("hash", MapType.Hash, 4, 8, 4)), verified);
        AssertSameAsHelper(() => HalfFullHash(MapType.Hash, 2, 8, 8), verified);
        AssertSameAsHelper(() => new HashMap(new MapSpec("locked", MapType.Hash, 4, 16, 8)) { SpinLockOffset = 8 }, verified);
    }

    [SkippableTheory]
    [MemberData(nameof(InlineLookupTests.Modes), MemberType = typeof(InlineLookupTests))]
    public void ASpinLockFoundAfterTheCodeWasBoundSendsUpdatesBackToTheHelper(bool verified)
    {
        LlvmRequirement.SkipIfMissing();
        foreach (var level in InlineLookupTests.Compiled)
        {
            using var map = ArrayMap.Create("a", 16, 4);
            var image = new ProgramImage("update", UpdateProgram(), StandardHelpers.CreateDefault()) { Maps = [map], Verified = verified };
            using var executable = level.Create().Load(image, new EngineOptions { OptimizationLevel = level.OptimizationLevel });
            var value = Enumerable.Repeat((byte)0xAB, 8 * ValueWords).ToArray();
            map.SpinLockOffset = 8;
            // BPF_F_LOCK now names a lock the value has: the helper takes it and leaves the lock word alone.
            Assert.Equal(0UL, executable.Run(Context(new Run(1, MapUpdateFlags.Lock, 0, value))));
            Assert.Equal(0UL, executable.Run(Context(new Run(2, MapUpdateFlags.Any, 0, value))));
            Assert.Equal(0xABABABABABABABABUL, BinaryPrimitives.ReadUInt64LittleEndian(map.GetValue(2)));
            Assert.Equal(0U, BinaryPrimitives.ReadUInt32LittleEndian(map.GetValue(2)[8..]));
            Assert.Equal(0xABABABABU, BinaryPrimitives.ReadUInt32LittleEndian(map.GetValue(2)[12..]));
        }
    }

    [SkippableTheory]
    [MemberData(nameof(InlineLookupTests.Modes), MemberType = typeof(InlineLookupTests))]
    public void ADisposedMapIsUpdatedByNeitherTheCodeNorTheHelper(bool verified) =>
        AssertDisposedMapIsLeftAlone(() => ArrayMap.Create("a", 8, 4), verified);

    /// <summary>An update of key 1 (which the map must accept) succeeds; once the map is disposed, the same update is answered as the helper answers for a map that is gone, on every level.</summary>
    internal static void AssertDisposedMapIsLeftAlone(Func<BpfMap> create, bool verified)
    {
        LlvmRequirement.SkipIfMissing();
        foreach (var level in InlineLookupTests.Compiled.Prepend(InlineLookupTests.Reference))
        {
            var map = create();
            var image = new ProgramImage("update", UpdateProgram(), StandardHelpers.CreateDefault()) { Maps = [map], Verified = verified };
            using var executable = level.Create().Load(image, new EngineOptions { OptimizationLevel = level.OptimizationLevel });
            var context = Context(new Run(1, MapUpdateFlags.Any, 0, new byte[8 * ValueWords]));
            Assert.Equal(0UL, executable.Run(context));
            map.Dispose();
            if (verified)
            {
                Assert.Equal(unchecked((ulong)-Errno.EINVAL), executable.Run(context));
            }
            else
            {
                var error = Assert.Throws<BpfException>(() => executable.Run(context));
                Assert.Contains("is not the handle of one of the program's 1 map(s)", error.Message);
            }
        }
    }

    /// <summary>Checked code given key or value pointers it may not read: the compiled levels fault as the helper does on the interpreter, and the map keeps its values.</summary>
    public static TheoryData<string> HostilePointers => new() { "key far away", "value far away", "value past the frame", "key past the frame", "key in host memory", "value in host memory" };

    [SkippableTheory]
    [MemberData(nameof(HostilePointers))]
    public void HostileKeyAndValuePointersAreRefusedAsTheHelperRefusesThem(string what) =>
        AssertHostilePointersRefused(what, () => ArrayMap.Create("a", 8, 4));

    /// <summary>The update of <paramref name="what"/> (key 1, value 7 on the stack otherwise) in checked code: every level faults as the helper does, and the map keeps its contents.</summary>
    internal static void AssertHostilePointersRefused(string what, Func<BpfMap> create)
    {
        LlvmRequirement.SkipIfMissing();
        var host = (ulong)NativeMemoryBlock.Value;
        Instruction[] pointers = what switch
        {
            "key far away" => [.. Code.LoadImm64(2, 0x10000), Code.Mov64Reg(3, 10), Code.Add64(3, -16)],
            "value far away" => [Code.Mov64Reg(2, 10), Code.Add64(2, -8), .. Code.LoadImm64(3, 0x10000)],
            "value past the frame" => [Code.Mov64Reg(2, 10), Code.Add64(2, -8), Code.Mov64Reg(3, 10), Code.Add64(3, -4)],
            "key past the frame" => [Code.Mov64Reg(2, 10), Code.Add64(2, -2), Code.Mov64Reg(3, 10), Code.Add64(3, -16)],
            "key in host memory" => [.. Code.LoadImm64(2, (long)host), Code.Mov64Reg(3, 10), Code.Add64(3, -16)],
            _ => [Code.Mov64Reg(2, 10), Code.Add64(2, -8), .. Code.LoadImm64(3, (long)host)],
        };
        AssertRefusedAsTheHelperRefuses(UpdateWith(pointers), create, what, "map_update_elem");
    }

    /// <summary>Checked <paramref name="program"/> on every level faults as the helper named <paramref name="helperName"/> does on the interpreter, and the map keeps its contents.</summary>
    internal static void AssertRefusedAsTheHelperRefuses(Instruction[] program, Func<BpfMap> create, string what, string helperName)
    {
        string? expected = null;
        foreach (var level in InlineLookupTests.Compiled.Prepend(InlineLookupTests.Reference))
        {
            Skip.IfNot(level.Create().IsAvailable(out var why), why);
            using var map = create();
            var before = BpfMapDump.ToJson([map]);
            var image = new ProgramImage("hostile", program, StandardHelpers.CreateDefault()) { Maps = [map], Verified = false };
            using var executable = level.Create().Load(image, new EngineOptions { OptimizationLevel = level.OptimizationLevel });
            var error = Assert.Throws<BpfException>(() => executable.Run(new byte[8]));
            var code = error.Diagnostics[0].Code;
            expected ??= code;
            Assert.True(expected == code, $"{level}, {what}: the helper refused with {expected}, the code with {code}: {error.Message}");
            Assert.Contains(helperName, error.Message);
            Assert.Equal(before, BpfMapDump.ToJson([map]));
        }
    }

    internal static readonly Lazy<nint> NativeMemoryBlock = new(() =>
    {
        // Host memory the program does not own (never freed: the tests only aim pointers at it).
        var block = System.Runtime.InteropServices.Marshal.AllocHGlobal(64);
        for (var i = 0; i < 64; i += 8)
        {
            System.Runtime.InteropServices.Marshal.WriteInt64(block, i, 0x0101010101010101L);
        }
        return block;
    });

    [SkippableFact]
    public void UpdatesStayWholeWhileTheHostReadsAndWritesTheMap()
    {
        LlvmRequirement.SkipIfMissing();
        foreach (var level in new[] { new Level("jit", 0), new Level("llvm-jit", 3), new Level("aot", 3) })
        {
            using var map = ArrayMap.Create("a", 8, 4);
            var image = new ProgramImage("update", UpdateProgram(), StandardHelpers.CreateDefault()) { Maps = [map], Verified = true };
            using var executable = level.Create().Load(image, new EngineOptions { OptimizationLevel = level.OptimizationLevel });
            const ulong Program = 0x1111_1111_1111_1111UL;
            const ulong Host = 0x2222_2222_2222_2222UL;
            using var stop = new CancellationTokenSource();
            var torn = 0L;
            var host = Task.Run(() =>
            {
                var key = BitConverter.GetBytes(1u);
                var value = BitConverter.GetBytes(Host);
                var seen = new byte[8];
                while (!stop.IsCancellationRequested)
                {
                    Assert.Equal(0, map.Update(key, value, MapUpdateFlags.Exist));
                    var now = BinaryPrimitives.ReadUInt64LittleEndian(map.GetValue(1));
                    if (now is not (Program or Host))
                    {
                        Interlocked.Increment(ref torn);
                    }
                }
            });
            try
            {
                var bytes = new byte[8 * ValueWords];
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, Program);
                var context = Context(new Run(1, MapUpdateFlags.Any, 0, bytes));
                for (var i = 0; i < 100_000; i++)
                {
                    Assert.Equal(0UL, executable.Run(context));
                }
            }
            finally
            {
                stop.Cancel();
                host.Wait();
            }
            Assert.Equal(0L, Interlocked.Read(ref torn));
            Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(map.GetValue(0)));
        }
    }

    /// <summary>
    /// Programs replace the values of keys 0..31 (always present) while the host deletes and re-inserts
    /// keys 32..63 with zero values, reusing their elements: an update done under the map's lock never
    /// lands in an element that changed keys, and never loses the key it updates.
    /// </summary>
    [SkippableFact]
    public unsafe void HashUpdatesStayWithTheirKeyWhileTheHostReusesElements()
    {
        LlvmRequirement.SkipIfMissing();
        foreach (var level in new[] { new Level("jit", 0), new Level("llvm-jit", 3), new Level("aot", 3) })
        {
            using var map = new HashMap(new MapSpec("hash", MapType.Hash, 4, 8, 64));
            for (var key = 0; key < 64; key++)
            {
                Assert.Equal(0, map.Update(BitConverter.GetBytes(key), new byte[8], 0));
            }
            var image = new ProgramImage("update", UpdateProgram(), StandardHelpers.CreateDefault()) { Maps = [map], Verified = true };
            using var executable = level.Create().Load(image, new EngineOptions { OptimizationLevel = level.OptimizationLevel });
            using var stop = new CancellationTokenSource();
            var host = Task.Run(() =>
            {
                var random = new Random(2);
                while (!stop.IsCancellationRequested)
                {
                    var key = BitConverter.GetBytes(32 + random.Next(32));
                    if (map.Delete(key) != 0)
                    {
                        map.Update(key, new byte[8], 0);
                    }
                }
            });
            try
            {
                for (var i = 0; i < 100_000; i++)
                {
                    var key = (ulong)(i % 32);
                    var bytes = new byte[8 * ValueWords];
                    BinaryPrimitives.WriteUInt64LittleEndian(bytes, (key << 32) | (uint)i);
                    Assert.Equal(0UL, executable.Run(Context(new Run(key, MapUpdateFlags.Exist, 0, bytes))));
                }
            }
            finally
            {
                stop.Cancel();
                host.Wait();
            }
            for (var key = 0; key < 64; key++)
            {
                var value = map.Lookup(BitConverter.GetBytes(key));
                if (key < 32)
                {
                    Assert.Equal((ulong)key, BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>((void*)value, 8)) >> 32);
                }
                else if (value != 0)
                {
                    Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>((void*)value, 8)));
                }
            }
        }
    }

    [Fact]
    public void JitCodeDoesAnArrayUpdateItselfOnlyForArraysWithSmallValues()
    {
        var bindings = new JitBindings(0, h => h.NativeEntry, _ => 0);
        Instruction[] program = UpdateWith([Code.Mov64Reg(2, 10), Code.Add64(2, -8), Code.Mov64Reg(3, 10), Code.Add64(3, -16)]);
        using var small = ArrayMap.Create("a", 40, 4);
        using var large = ArrayMap.Create("b", 72, 4);
        // The code reads the update word through the map's cell (movabs of its address) only where it does the update itself.
        var inlined = X64Compiler.Compile(new ProgramImage("update", program, StandardHelpers.CreateDefault()) { Maps = [small], Verified = true }, bindings);
        Assert.True(inlined.Code.AsSpan().IndexOf(BitConverter.GetBytes((long)small.StorageCell)) >= 0);
        var called = X64Compiler.Compile(new ProgramImage("update", program, StandardHelpers.CreateDefault()) { Maps = [large], Verified = true }, bindings);
        Assert.True(called.Code.AsSpan().IndexOf(BitConverter.GetBytes((long)large.StorageCell)) < 0);
    }

    [Fact]
    public void OnlyArraysAndHashMapsWithSmallValuesAndShortKeysAreUpdatedByTheCode()
    {
        Assert.True(new InlineLookup(InlineLookupKind.Array, 4, InlineLookup.MaxInlineUpdateBytes, 10).CanInlineUpdate);
        Assert.False(new InlineLookup(InlineLookupKind.Array, 4, InlineLookup.MaxInlineUpdateBytes + 1, 10).CanInlineUpdate);
        Assert.True(new InlineLookup(InlineLookupKind.PerCpuArray, 4, 8, 10).CanInlineUpdate);
        Assert.False(new InlineLookup(InlineLookupKind.PerCpuArray, 4, InlineLookup.MaxInlineUpdateBytes + 1, 10).CanInlineUpdate);
        Assert.True(new InlineLookup(InlineLookupKind.Hash, 8, 8, 10).CanInlineUpdate);
        Assert.False(new InlineLookup(InlineLookupKind.Hash, 2, 8, 10).CanInlineUpdate);
        Assert.True(new InlineLookup(InlineLookupKind.LruHash, 4, 8, 10).CanInlineUpdate);
        Assert.True(new InlineLookup(InlineLookupKind.LruPerCpuHash, 8, InlineLookup.MaxInlineUpdateBytes, 10).CanInlineUpdate);
        Assert.False(new InlineLookup(InlineLookupKind.LruHash, 4, InlineLookup.MaxInlineUpdateBytes + 1, 10).CanInlineUpdate);
        Assert.False(new InlineLookup(InlineLookupKind.LruHash, 2, 8, 10).CanInlineUpdate);
        Assert.True(new InlineLookup(InlineLookupKind.PerCpuHash, 4, 8, 10).CanInlineUpdate);
        Assert.Equal([(0, 8), (8, 4), (12, 2), (14, 1)], InlineLookup.CopyPieces(15));
        Assert.Empty(InlineLookup.CopyPieces(0));
    }
}
