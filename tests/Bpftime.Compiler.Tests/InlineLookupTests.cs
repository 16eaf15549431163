using System.Buffers.Binary;
using System.Text;
using Bpftime.Compiler.Aot;
using Bpftime.Compiler.LlvmJit;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.Interpreter;
using Bpftime.Engines.X64;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Hosting;
using Bpftime.Isa;
using Bpftime.Linking.Native;
using Bpftime.Maps;
using Bpftime.Objects;

namespace Bpftime.Compiler.Tests;

/// <summary>
/// Lookups that compiled code does itself (array, per-CPU array, global data, hash maps; per-CPU hash
/// maps on the LLVM levels only) against the helper as the interpreter calls it: the same r0 and the same map contents on
/// every engine, verified and checked, over random keys, keys out of range, absent keys, host changes
/// between runs and disposed maps; and the AOT linker refusing code compiled for another layout.
/// </summary>
public sealed class InlineLookupTests
{
    private const ulong Null = 0xDEAD;

    public static TheoryData<bool> Modes => new() { true, false };

    /// <summary>
    /// r0 = the first u32 of the value for the key at ctx[0..8) (stored as a u64 on the stack, so a
    /// 4-byte key is its low half), 0xDEAD when the lookup gives NULL; with ctx[8..16) non-zero, the
    /// first u32 of the value is incremented afterwards.
    /// </summary>
    private static Instruction[] LookupProgram() =>
    [
        .. LookupOfContextKey(),
        Code.JeqImm(0, 0, 7),
        new(0x61, 8, 0, 0, 0),          // r8 = *(u32 *)(r0 + 0)
        Code.JeqImm(7, 0, 3),
        Code.Mov64Reg(9, 8),
        Code.Add64(9, 1),
        new(0x63, 0, 9, 0, 0),          // *(u32 *)(r0 + 0) = r9
        Code.Mov64Reg(0, 8),
        Code.Exit(),
        Code.Mov64(0, (int)Null),
        Code.Exit(),
    ];

    /// <summary>r6 = ctx, r7 = ctx[8..16), then r0 = bpf_map_lookup_elem(map 0, the u64 at ctx[0..8) stored at r10 - 8).</summary>
    private static Instruction[] LookupOfContextKey() =>
    [
        Code.Mov64Reg(6, 1),
        Code.LoadDw(2, 6, 0),
        Code.StoreDw(10, 2, -8),
        Code.LoadDw(7, 6, 8),
        .. Code.LoadImm64(1, 0, (byte)LoadImm64Source.MapByIndex),
        Code.Mov64Reg(2, 10),
        Code.Add64(2, -8),
        Code.Call(HelperIds.MapLookupElem),
    ];

    internal sealed record Level(string Engine, int OptimizationLevel)
    {
        public IBpfEngine Create() => Engine switch
        {
            "interpreter" => InterpreterEngine.Instance,
            "jit" => new X64JitEngine(),
            "llvm-jit" => new LlvmJitEngine(),
            _ => new AotEngine(),
        };

        public override string ToString() => $"{Engine} O{OptimizationLevel}";
    }

    internal static readonly Level Reference = new("interpreter", 0);

    internal static readonly Level[] Compiled =
    [
        new("jit", 0), new("llvm-jit", 0), new("llvm-jit", 3), new("aot", 0), new("aot", 3),
    ];

    /// <summary>One scenario: fresh maps, then runs of (key, write) with host changes at fixed points.</summary>
    private sealed record Scenario(Func<BpfMap> CreateMap, IReadOnlyList<(ulong Key, bool Write)> Runs, Action<BpfMap, int>? HostStep = null);

    /// <summary>Runs the scenario on one level: every r0, then the map's contents as the host reads them.</summary>
    private static (List<ulong> Results, byte[] Contents) Play(Level level, Scenario scenario, bool verified)
    {
        using var map = scenario.CreateMap();
        var image = new ProgramImage("lookup", LookupProgram(), StandardHelpers.CreateDefault()) { Maps = [map], Verified = verified };
        using var executable = level.Create().Load(image, new EngineOptions { OptimizationLevel = level.OptimizationLevel });
        var results = new List<ulong>();
        var context = new byte[16];
        for (var i = 0; i < scenario.Runs.Count; i++)
        {
            scenario.HostStep?.Invoke(map, i);
            BinaryPrimitives.WriteUInt64LittleEndian(context, scenario.Runs[i].Key);
            BinaryPrimitives.WriteUInt64LittleEndian(context.AsSpan(8), scenario.Runs[i].Write ? 1UL : 0UL);
            results.Add(executable.Run(context));
        }
        return (results, Contents(map));
    }

    /// <summary>Every value the host can see; per-CPU values as the sum of their slots' first u32 (which slot a run used is the scheduler's choice).</summary>
    internal static byte[] Contents(BpfMap map)
    {
        var output = new MemoryStream();
        switch (map)
        {
            case ArrayMap array:
                for (uint i = 0; i < array.MaxEntries; i++)
                {
                    output.Write(array.GetValue(i));
                }
                break;
            case PerCpuArrayMap perCpu:
                for (uint i = 0; i < perCpu.MaxEntries; i++)
                {
                    ulong sum = 0;
                    for (var slot = 0; slot < perCpu.SlotCount; slot++)
                    {
                        sum += ReadU32(perCpu.LookupSlot(BitConverter.GetBytes(i), slot));
                    }
                    output.Write(BitConverter.GetBytes(sum));
                }
                break;
            case HashMap hash:
                var key = new byte[hash.KeySize];
                var next = new byte[hash.KeySize];
                var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
                ReadOnlySpan<byte> previous = [];
                while (hash.GetNextKey(previous, next) == 0)
                {
                    next.CopyTo(key);
                    ulong sum = 0;
                    for (var slot = 0; slot < hash.SlotCount; slot++)
                    {
                        sum += ReadU32(hash.LookupSlot(key, slot));
                    }
                    entries[Convert.ToHexString(key)] = sum.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    previous = key;
                }
                output.Write(Encoding.UTF8.GetBytes(string.Join(";", entries.Select(e => e.Key + "=" + e.Value))));
                break;
        }
        return output.ToArray();
    }

    private static unsafe uint ReadU32(nint address) => address == 0 ? uint.MaxValue : *(uint*)address;

    /// <summary>
    /// Per-CPU maps (<paramref name="perCpuKeyBytes"/> = the key size): once a run wrote a key's value in
    /// one slot, what a later run reads depends on the processor it runs on, so for such runs only
    /// NULL or not is compared; the sums over slots are compared as for every map.
    /// </summary>
    private static void AssertSameAsHelper(Scenario scenario, bool verified, int perCpuKeyBytes = 0)
    {
        LlvmRequirement.SkipIfMissing();
        var expected = Play(Reference, scenario, verified);
        Assert.Contains(expected.Results, r => r != Null);
        foreach (var level in Compiled)
        {
            Skip.IfNot(level.Create().IsAvailable(out var why), why);
            var actual = Play(level, scenario, verified);
            var written = new HashSet<ulong>();
            for (var i = 0; i < scenario.Runs.Count; i++)
            {
                var key = perCpuKeyBytes == 4 ? scenario.Runs[i].Key & 0xffff_ffffUL : scenario.Runs[i].Key;
                var slotDependent = perCpuKeyBytes != 0 && (scenario.Runs[i].Write || written.Contains(key));
                if (perCpuKeyBytes != 0 && scenario.Runs[i].Write)
                {
                    written.Add(key);
                }
                if (!slotDependent)
                {
                    Assert.True(expected.Results[i] == actual.Results[i],
                        $"{level} ({(verified ? "verified" : "checked")}), run {i}, key 0x{scenario.Runs[i].Key:x}: helper gave 0x{expected.Results[i]:x}, inline 0x{actual.Results[i]:x}");
                }
                else
                {
                    Assert.Equal(expected.Results[i] == Null, actual.Results[i] == Null);
                }
            }
            Assert.True(expected.Contents.AsSpan().SequenceEqual(actual.Contents), $"{level}: the map differs from the helper's after the runs");
        }
    }

    /// <summary>Keys in range, at the bounds, past them, with high bits the 4-byte key drops, and u32 values that read as negative.</summary>
    private static List<(ulong, bool)> ArrayKeys(uint entries, int seed)
    {
        var random = new Random(seed);
        var keys = new List<(ulong, bool)>();
        ulong[] edges = [0, entries - 1, entries, entries + 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x1_0000_0000UL + 1, 0xffffffff_00000000UL | (entries - 1), ulong.MaxValue];
        foreach (var edge in edges)
        {
            keys.Add((edge, false));
            keys.Add((edge, true));
        }
        for (var i = 0; i < 60; i++)
        {
            var key = random.Next(4) == 0 ? (ulong)random.NextInt64() : (ulong)random.Next((int)entries + 4);
            keys.Add((key, random.Next(2) == 0));
        }
        return keys;
    }

    private static void Fill(ArrayMap map, int seed)
    {
        var random = new Random(seed);
        for (uint i = 0; i < map.MaxEntries; i++)
        {
            random.NextBytes(map.GetValue(i));
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Modes))]
    public void ArrayLookupsMatchTheHelperForEveryValueSize(bool verified)
    {
        foreach (var (valueSize, entries) in new[] { (4u, 1u), (8u, 16u), (12u, 33u), (24u, 7u), (4096u, 3u) })
        {
            var scenario = new Scenario(
                () =>
                {
                    var map = ArrayMap.Create("values", valueSize, entries);
                    Fill(map, (int)valueSize);
                    return map;
                },
                ArrayKeys(entries, (int)entries),
                // The host rewrites a value between runs; the code must see it (no copy of the storage).
                HostStep: (map, run) => { if (run % 7 == 3) { ((ArrayMap)map).GetValue((uint)run % entries)[0] ^= 0x5a; } });
            AssertSameAsHelper(scenario, verified);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Modes))]
    public void GlobalDataLookupsMatchTheHelper(bool verified)
    {
        var scenario = new Scenario(
            () =>
            {
                var map = ArrayMap.Create(".data", 20, 1);
                Fill(map, 5);
                return map;
            },
            [(0, false), (1, false), (0, true), (0, true), (0xffffffff, true), (0x1_0000_0000UL, true), (0, false)]);
        AssertSameAsHelper(scenario, verified);
    }

    [SkippableTheory]
    [MemberData(nameof(Modes))]
    public void PerCpuArrayLookupsMatchTheHelper(bool verified)
    {
        const uint Entries = 9;
        var scenario = new Scenario(
            () =>
            {
                var map = new PerCpuArrayMap(new MapSpec("percpu", MapType.PerCpuArray, 4, 12, Entries));
                // Every slot starts equal, so what a read returns does not depend on the processor.
                var random = new Random(9);
                var element = new byte[map.SlotCount * (int)map.SlotStride];
                for (uint i = 0; i < Entries; i++)
                {
                    var value = (uint)random.Next(1 << 20);
                    for (var slot = 0; slot < map.SlotCount; slot++)
                    {
                        BinaryPrimitives.WriteUInt32LittleEndian(element.AsSpan(slot * (int)map.SlotStride), value);
                    }
                    map.Update(BitConverter.GetBytes(i), element, 0);
                }
                return map;
            },
            ArrayKeys(Entries, 3));
        AssertSameAsHelper(scenario, verified, perCpuKeyBytes: 4);
    }

    private static List<(ulong, bool)> HashKeys(int seed, ulong keyMask)
    {
        var random = new Random(seed);
        var keys = new List<(ulong, bool)>();
        for (var i = 0; i < 80; i++)
        {
            // Half present (0..63 as filled), half absent, some differing only in the bits a 4-byte key drops.
            var key = random.Next(3) switch
            {
                0 => (ulong)random.Next(64),
                1 => (uint)random.Next(64) | (1UL << 32),
                _ => (ulong)random.NextInt64() & keyMask,
            };
            keys.Add((key, random.Next(2) == 0));
        }
        return keys;
    }

    private static HashMap FilledHash(MapType type, uint keySize, uint valueSize, uint entries)
    {
        var map = new HashMap(new MapSpec("hash", type, keySize, valueSize, entries));
        for (ulong key = 0; key < 64 && key < entries; key++)
        {
            // Per-CPU maps get every slot the same value, so a read does not depend on the processor.
            var value = new byte[map.IsPerCpu ? map.SlotCount * (int)map.SlotStride : valueSize];
            for (var slot = 0; slot < (map.IsPerCpu ? map.SlotCount : 1); slot++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(value.AsSpan(slot * (int)map.SlotStride), (uint)(key * 3 + 1));
            }
            Assert.Equal(0, map.Update(BitConverter.GetBytes(key).AsSpan(0, (int)keySize), value, 0));
        }
        return map;
    }

    /// <summary>Between runs the host deletes and re-inserts keys, so chains change under the code.</summary>
    private static void ChurnHash(BpfMap map, int run)
    {
        if (run % 5 != 2)
        {
            return;
        }
        var key = BitConverter.GetBytes((ulong)(run % 64)).AsSpan(0, (int)map.KeySize).ToArray();
        if (map.Delete(key) != 0)
        {
            var value = new byte[map.ValueSize];
            BinaryPrimitives.WriteUInt32LittleEndian(value, (uint)run);
            map.Update(key, value, 0);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Modes))]
    public void HashLookupsMatchTheHelper(bool verified)
    {
        foreach (var (keySize, valueSize, entries) in new[] { (4u, 8u, 128u), (8u, 4u, 100u), (8u, 24u, 64u), (4u, 16u, 3000u) })
        {
            var mask = keySize == 4 ? 0xffff_ffffUL : ulong.MaxValue;
            var scenario = new Scenario(() => FilledHash(MapType.Hash, keySize, valueSize, entries), HashKeys((int)entries, mask), ChurnHash);
            AssertSameAsHelper(scenario, verified);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Modes))]
    public void LruAndPerCpuHashLookupsMatchTheHelper(bool verified)
    {
        AssertSameAsHelper(new Scenario(() => FilledHash(MapType.LruHash, 4, 8, 96), HashKeys(4, 0xffff_ffffUL), ChurnHash), verified);
        AssertSameAsHelper(new Scenario(() => FilledHash(MapType.PerCpuHash, 8, 8, 80), HashKeys(8, ulong.MaxValue)), verified, perCpuKeyBytes: 8);
    }

    [SkippableTheory]
    [MemberData(nameof(Modes))]
    public void ADisposedMapIsAnsweredByTheHelperNotReadFromFreedMemory(bool verified)
    {
        LlvmRequirement.SkipIfMissing();
        foreach (var level in Compiled.Prepend(Reference))
        {
            foreach (var map in new BpfMap[] { ArrayMap.Create("a", 8, 4), FilledHash(MapType.Hash, 8, 8, 16) })
            {
                var image = new ProgramImage("lookup", LookupProgram(), StandardHelpers.CreateDefault()) { Maps = [map], Verified = verified };
                using var executable = level.Create().Load(image, new EngineOptions { OptimizationLevel = level.OptimizationLevel });
                var context = new byte[16];
                BinaryPrimitives.WriteUInt64LittleEndian(context, 1);
                Assert.NotEqual(Null, executable.Run(context));
                map.Dispose();
                if (verified)
                {
                    Assert.Equal(Null, executable.Run(context));
                }
                else
                {
                    // Checked code: the helper refuses a map that no longer exists, on every engine alike.
                    var error = Assert.Throws<BpfException>(() => executable.Run(context));
                    Assert.Contains("is not the handle of one of the program's 1 map(s)", error.Message);
                }
            }
        }
    }

    [SkippableFact]
    public void PerCpuLookupsUseTheRunningProcessorsSlot()
    {
        LlvmRequirement.SkipIfMissing();
        Skip.If(PerCpu.SlotCount < 2, "one processor: every slot is slot 0");
        foreach (var level in Compiled)
        {
            using var map = new PerCpuArrayMap(new MapSpec("percpu", MapType.PerCpuArray, 4, 8, 2));
            var image = new ProgramImage("lookup", LookupProgram(), StandardHelpers.CreateDefault()) { Maps = [map], Verified = true };
            using var executable = level.Create().Load(image, new EngineOptions { OptimizationLevel = level.OptimizationLevel });
            var context = new byte[16];
            BinaryPrimitives.WriteUInt64LittleEndian(context, 1);
            BinaryPrimitives.WriteUInt64LittleEndian(context.AsSpan(8), 1);
            const int Runs = 2000;
            for (var i = 0; i < Runs; i++)
            {
                executable.Run(context);
            }
            // Each run added 1 to one slot of value 1: the counts add up, and value 0 was never touched.
            long total = 0;
            for (var slot = 0; slot < map.SlotCount; slot++)
            {
                total += ReadU32(map.LookupSlot(BitConverter.GetBytes(1u), slot));
                Assert.Equal(0u, ReadU32(map.LookupSlot(BitConverter.GetBytes(0u), slot)));
            }
            Assert.Equal(Runs, total);
        }
    }

    [SkippableFact]
    public void HashLookupsStayRightWhileTheHostChangesTheChains()
    {
        LlvmRequirement.SkipIfMissing();
        foreach (var level in new[] { new Level("jit", 0), new Level("llvm-jit", 3), new Level("aot", 3) })
        {
            // Small bucket array, many keys: long chains that the writer keeps relinking.
            using var map = FilledHash(MapType.Hash, 4, 8, 64);
            var image = new ProgramImage("lookup", LookupProgram(), StandardHelpers.CreateDefault()) { Maps = [map], Verified = true };
            using var executable = level.Create().Load(image, new EngineOptions { OptimizationLevel = level.OptimizationLevel });
            using var stop = new CancellationTokenSource();
            var writer = Task.Run(() =>
            {
                var random = new Random(1);
                var value = new byte[8];
                while (!stop.IsCancellationRequested)
                {
                    // Keys 32..63 come and go; keys 0..31 stay and keep their values.
                    var key = BitConverter.GetBytes(32 + random.Next(32));
                    if (map.Delete(key) != 0)
                    {
                        map.Update(key, value, 0);
                    }
                }
            });
            try
            {
                var context = new byte[16];
                for (var i = 0; i < 200_000; i++)
                {
                    var key = (uint)(i % 32);
                    BinaryPrimitives.WriteUInt64LittleEndian(context, key);
                    var result = executable.Run(context);
                    Assert.True(result == (key * 3) + 1, $"{level}: key {key} gave 0x{result:x} while the host changed other keys");
                }
            }
            finally
            {
                stop.Cancel();
                writer.Wait();
            }
        }
    }

    /// <summary>
    /// Checked code writing 8 bytes at a hash lookup's value pointer plus ctx[8]: inside the value
    /// block it succeeds (r0 = 1), anywhere else (before or past the block, into the read-only keys)
    /// it faults; hash values are tested inline now, and every level must decide as the interpreter.
    /// </summary>
    [SkippableFact]
    public void CheckedWritesThroughHashValuePointersAreDecidedAsByTheRuntime()
    {
        LlvmRequirement.SkipIfMissing();
        Instruction[] program =
        [
            .. LookupOfContextKey(),
            Code.JeqImm(0, 0, 5),
            Code.Alu64Reg(AluOperation.Add, 0, 7),
            Code.Mov64(3, 5),
            Code.StoreDw(0, 3, 0),
            Code.Mov64(0, 1),
            Code.Exit(),
            Code.Mov64(0, (int)Null),
            Code.Exit(),
        ];
        var layout = new InlineLookup(InlineLookupKind.Hash, 4, 8, 16);
        long[] offsets = [0, 8, -8, 8 * 15, 8 * 16, 1 << 20, -(1 << 20), -(long)(layout.ValuesOffset - layout.KeysOffset), -(long)layout.ValuesOffset];
        List<string>? expected = null;
        foreach (var level in Compiled.Prepend(Reference))
        {
            Skip.IfNot(level.Create().IsAvailable(out var why), why);
            using var map = FilledHash(MapType.Hash, 4, 8, 16);
            var image = new ProgramImage("write", program, StandardHelpers.CreateDefault()) { Maps = [map], Verified = false };
            using var executable = level.Create().Load(image, new EngineOptions { OptimizationLevel = level.OptimizationLevel });
            var outcomes = new List<string>();
            foreach (var key in new ulong[] { 0, 15 })
            {
                foreach (var offset in offsets)
                {
                    var context = new byte[16];
                    BinaryPrimitives.WriteUInt64LittleEndian(context, key);
                    BinaryPrimitives.WriteInt64LittleEndian(context.AsSpan(8), offset);
                    try
                    {
                        outcomes.Add(executable.Run(context).ToString(System.Globalization.CultureInfo.InvariantCulture));
                    }
                    catch (BpfException error)
                    {
                        outcomes.Add(error.Diagnostics[0].Code);
                    }
                }
            }
            expected ??= outcomes;
            Assert.True(expected.SequenceEqual(outcomes), $"{level}: {string.Join(",", outcomes)}; the interpreter: {string.Join(",", expected)}");
            Assert.Contains("1", outcomes);
            Assert.True(outcomes.Count(o => o != "1") >= 4, $"{level}: {string.Join(",", outcomes)}");
        }
    }

    // ---- the code really does the lookup itself --------------------------------------------------

    [SkippableFact]
    public void JitCodeDoesAnArrayLookupItselfOnlyWhereTheMapIsKnown()
    {
        using var map = ArrayMap.Create("a", 8, 4);
        var bindings = new JitBindings(0, h => h.NativeEntry, _ => 0);
        var inlined = X64Compiler.Compile(new ProgramImage("lookup", LookupProgram(), StandardHelpers.CreateDefault()) { Maps = [map], Verified = true }, bindings);
        // The code reads the storage through the map's cell (movabs of its address); the helper stays only for a disposed map.
        var cell = BitConverter.GetBytes((long)map.StorageCell);
        Assert.True(inlined.Code.AsSpan().IndexOf(cell) >= 0);

        // r1 = map, then a jump lands between the ld_imm64 and the call: the map is no longer known there.
        Instruction[] merged =
        [
            .. Code.LoadImm64(1, 0, (byte)LoadImm64Source.MapByIndex),
            Code.JeqImm(2, 0, 0),
            Code.Call(HelperIds.MapLookupElem),
            Code.Exit(),
        ];
        var called = X64Compiler.Compile(new ProgramImage("merged", merged, StandardHelpers.CreateDefault()) { Maps = [map], Verified = true }, bindings);
        Assert.True(called.Code.AsSpan().IndexOf(cell) < 0);
        Assert.Contains(called.Helpers, h => h.Id == HelperIds.MapLookupElem);
    }

    private static AotObject CompileFor(MapSpec spec, bool verified = true) => AotCompiler.Compile(new AotCompilation
    {
        Programs = [new AotProgramSource("lookup", LookupProgram()) { Verified = verified, Proved = verified }],
        Maps = [spec],
        Helpers = StandardHelpers.CreateDefault(),
        OptimizationLevel = 3,
    });

    [SkippableFact]
    public void AotObjectsNameTheLayoutTheyWereCompiledFor()
    {
        LlvmRequirement.SkipIfMissing();
        var spec = new MapSpec("values", MapType.Array, 4, 12, 16);
        var compiled = CompileFor(spec);
        var symbol = InlineLookup.ForSpec(spec)!.SymbolFor(0);
        Assert.Contains(symbol, Encoding.ASCII.GetString(compiled.Bytes));
        Assert.True(InlineLookup.TryParseSymbol(symbol, out var index, out var parsed));
        Assert.Equal(0, index);
        Assert.Equal(InlineLookup.ForSpec(spec), parsed);
    }

    public static TheoryData<string, MapSpec> OtherLayouts => new()
    {
        { "more entries", new MapSpec("values", MapType.Array, 4, 12, 32) },
        { "fewer entries", new MapSpec("values", MapType.Array, 4, 12, 8) },
        { "larger values", new MapSpec("values", MapType.Array, 4, 20, 16) },
        { "a per-CPU array", new MapSpec("values", MapType.PerCpuArray, 4, 12, 16) },
        { "a hash map", new MapSpec("values", MapType.Hash, 4, 12, 16) },
    };

    [SkippableTheory]
    [MemberData(nameof(OtherLayouts))]
    public void TheLinkerRefusesInlineLookupsCompiledForAnotherLayout(string what, MapSpec actual)
    {
        LlvmRequirement.SkipIfMissing();
        var compiled = CompileFor(new MapSpec("values", MapType.Array, 4, 12, 16));
        using var map = BpfMapFactory.Create(actual);
        var error = Assert.Throws<BpfException>(() => AotLinker.Link(compiled.Bytes, new AotLinkOptions { Helpers = StandardHelpers.CreateDefault(), Maps = [map] }));
        var refusal = Assert.Single(error.Diagnostics, d => d.Code == DiagnosticCodes.InlineLookupLayoutMismatch);
        Assert.Contains("compiled for a Array map of 4-byte keys, 12-byte values and 16 entries", refusal.Message);
        _ = what;
    }

    [Fact]
    public void AStorageSymbolBindsOnlyToAMapOfItsLayout()
    {
        var layout = new InlineLookup(InlineLookupKind.Hash, 8, 16, 100);
        using var same = new HashMap(new MapSpec("h", MapType.Hash, 8, 16, 100));
        using var lru = new HashMap(new MapSpec("h", MapType.LruHash, 8, 16, 100));
        using var wider = new HashMap(new MapSpec("h", MapType.Hash, 4, 16, 100));
        Assert.Null(layout.Mismatch(same));
        Assert.NotNull(layout.Mismatch(lru));
        Assert.NotNull(layout.Mismatch(wider));
        Assert.False(InlineLookup.TryParseSymbol("_bpf_map_inline_0_9_8_16_100", out _, out _));
        Assert.False(InlineLookup.TryParseSymbol("_bpf_map_inline_0_3_8_16", out _, out _));
        Assert.False(InlineLookup.TryParseSymbol("_bpf_map_inline_-1_3_8_16_100", out _, out _));
        // Hash maps whose keys take the per-process seeded hash keep the helper.
        Assert.Null(InlineLookup.ForSpec(new MapSpec("h", MapType.Hash, 16, 8, 10)));
    }
}
