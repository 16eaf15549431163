using System.Runtime.InteropServices;
using Bpftime.Compiler.Aot;
using Bpftime.Compiler.LlvmJit;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.Interpreter;
using Bpftime.Engines.X64;
using Bpftime.Hosting;
using Bpftime.Maps;
using Bpftime.Objects;
using Bpftime.Tests;

namespace Bpftime.Compiler.Tests.Objects;

/// <summary>
/// Objects declared libbpf's way (tests/data/c/libbpf_maps), loaded as they are on every engine,
/// verified and with run-time checks: a program array and maps of maps filled from `.values`, struct
/// values in hash, array and per-CPU maps; and programs that misuse a map of maps, which the verifier
/// refuses and the checked engines stop.
/// </summary>
public sealed class LibbpfMapsTests
{
    private static string PathOf(string name) => Path.Combine(TestPaths.DataDirectory, "obj", "libbpf_maps", name + ".bpf.o");

    public static TheoryData<string, bool> Engines
    {
        get
        {
            var data = new TheoryData<string, bool>();
            foreach (var engine in new[] { InterpreterEngine.EngineName, X64JitEngine.EngineName, LlvmJitEngine.EngineName, AotEngine.EngineName })
            {
                data.Add(engine, true);
                data.Add(engine, false);
            }
            return data;
        }
    }

    public static TheoryData<string> EngineNames
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var engine in new[] { InterpreterEngine.EngineName, X64JitEngine.EngineName, LlvmJitEngine.EngineName, AotEngine.EngineName })
            {
                data.Add(engine);
            }
            return data;
        }
    }

    private static BpfObject Load(string name, string engine, bool verified, IReadOnlyList<string>? programs = null)
    {
        LlvmRequirement.SkipIfMissing();
        Skip.If(engine == X64JitEngine.EngineName && RuntimeInformation.ProcessArchitecture != Architecture.X64, "the direct jit is x86-64 only");
        var aot = new AotEngine();
        Skip.If(engine == AotEngine.EngineName && !aot.IsAvailable(out _), "the AOT engine needs a native toolchain");
        var registry = new EngineRegistry().Register(InterpreterEngine.Instance).Register(new LlvmJitEngine()).Register(aot);
        if (RuntimeInformation.ProcessArchitecture == Architecture.X64)
        {
            registry.Register(new X64JitEngine());
        }
        var loaded = BpfObject.Load(PathOf(name), new BpfLoadOptions
        {
            Engine = engine,
            Engines = registry,
            Verify = verified,
            RequireVerification = verified,
            ContextSize = 16,
            ReadEnvironment = false,
            Programs = programs,
        });
        Assert.Equal(engine, loaded.EngineName);
        Assert.All(loaded.Programs.Values, p => Assert.Equal(verified, p.IsVerified));
        return loaded;
    }

    private static byte[] Context(ulong first, ulong second = 0)
    {
        var context = new byte[16];
        BitConverter.TryWriteBytes(context, first);
        BitConverter.TryWriteBytes(context.AsSpan(8), second);
        return context;
    }

    private static unsafe (ulong Count, uint Hits, uint Last) Value(nint address) =>
        address == 0 ? default : (*(ulong*)address, *(uint*)(address + 8), *(uint*)(address + 12));

    private static byte[] Key(uint key) => BitConverter.GetBytes(key);

    [SkippableTheory]
    [MemberData(nameof(Engines))]
    public void TheObjectRunsAsDeclaredWithItsSlotsFilledAtLoad(string engine, bool verified)
    {
        using var loaded = Load("maps", engine, verified);
        var outer = Assert.IsType<MapOfMaps>(loaded.Maps["outer"]);
        var byId = Assert.IsType<MapOfMaps>(loaded.Maps["by_id"]);
        Assert.Same(loaded.Maps["inner_a"], outer.GetMap(0));
        Assert.Same(loaded.Maps["inner_b"], outer.GetMap(1));
        Assert.Same(loaded.Maps["inner_h"], byId.GetMap(3));
        Assert.Null(byId.GetMap(0));

        // count tail-calls report (jumps[0] from .values): 1000 + inner_a[0].count + inner_b[1].count.
        Assert.Equal(1003UL + 3, loaded.Programs["count"].Run(Context(3)));
        Assert.Equal(1000UL + 7 + 7, loaded.Programs["count"].Run(Context(4)));

        Assert.Equal((7UL, 2u, 4u), Value(loaded.Maps["stats"].Lookup(Key(1))));
        Assert.Equal((7UL, 2u, 4u), Value(loaded.Maps["slots"].Lookup(Key(2))));
        Assert.Equal((7UL, 2u, 4u), Value(loaded.Maps["inner_a"].Lookup(Key(0))));
        Assert.Equal((7UL, 2u, 4u), Value(loaded.Maps["inner_b"].Lookup(Key(1))));
        Assert.Equal((0UL, 0u, 0u), Value(loaded.Maps["inner_b"].Lookup(Key(0))));
        var perCpu = (IPerCpuMap)loaded.Maps["percpu"];
        var (count, hits) = (0UL, 0u);
        for (var slot = 0; slot < perCpu.SlotCount; slot++)
        {
            var (slotCount, slotHits, _) = Value(perCpu.LookupSlot(Key(0), slot));
            (count, hits) = (count + slotCount, hits + slotHits);
        }
        Assert.Equal((7UL, 2u), (count, hits));
        Assert.Equal(7UL, loaded.Maps["inner_h"].AsHash<uint, ulong>()[7]);
        Assert.Equal(7UL, loaded.Programs["hashed"].Run(Context(0)));
        // The host's lookup in a map of maps answers what a program gets: the inner map's handle.
        Assert.Equal(loaded.Maps["inner_a"].Handle, outer.Lookup(Key(0)));
        using var dump = System.Text.Json.JsonDocument.Parse(BpfMapDump.ToJson([outer, byId]));
        var slots = dump.RootElement.EnumerateArray()
            .Select(map => string.Join(",", map.GetProperty("slots").EnumerateArray().Select(slot => $"{slot.GetProperty("key").GetString()}={slot.GetProperty("map").GetString()}")))
            .ToArray();
        Assert.Equal(["00000000=inner_a,01000000=inner_b", "03000000=inner_h"], slots);
    }

    [SkippableTheory]
    [MemberData(nameof(Engines))]
    public void AnInnerMapTheHostRemovesOrDisposesIsNotReachedAgain(string engine, bool verified)
    {
        using var loaded = Load("maps", engine, verified);
        var byId = (MapOfMaps)loaded.Maps["by_id"];
        var outer = (MapOfMaps)loaded.Maps["outer"];
        loaded.Programs["count"].Run(Context(5));
        Assert.Equal(5UL, loaded.Programs["hashed"].Run(Context(0)));

        // A fresh inner map of the template's layout, put in by the host, is what the program reads next.
        using var replacement = BpfMapFactory.Create(byId.InnerTemplate! with { Name = "replacement" });
        Assert.Equal(0, replacement.Update(Key(7), BitConverter.GetBytes(41UL), MapUpdateFlags.Any));
        Assert.Equal(0, byId.SetMap(3, replacement));
        Assert.Equal(41UL, loaded.Programs["hashed"].Run(Context(0)));

        // Disposed while a slot still holds it: lookups answer NULL, and the regions it had are gone.
        replacement.Dispose();
        Assert.Equal(-1, (int)loaded.Programs["hashed"].Run(Context(0)));
        Assert.Null(byId.GetMap(3));
        Assert.Empty(byId.ValueRegions);

        // Removed: the same.
        Assert.Equal(0, outer.Delete(Key(0)));
        Assert.Equal(-Errno.ENOENT, outer.Delete(Key(0)));
        Assert.Equal(1000UL + 5, loaded.Programs["report"].Run(Context(0)));
        var innerA = loaded.Maps["inner_a"];
        Assert.DoesNotContain(outer.ValueRegions, r => r.Start == innerA.Lookup(Key(0)));
    }

    [SkippableFact]
    public void ANativeObjectAloneCarriesTheInnerTemplatesAndTheSlots()
    {
        LlvmRequirement.SkipIfMissing();
        Skip.If(!new AotEngine().IsAvailable(out _), "the AOT engine needs a native toolchain");
        var bytes = File.ReadAllBytes(PathOf("maps"));
        var file = ObjectReader.Read(bytes, PathOf("maps"));
        var native = AotCompiler.Compile(AotCompilation.FromObject(file, Helpers.StandardHelpers.CreateDefault(), bytes));
        var outerMetadata = native.Metadata.Maps.Single(m => m.Name == "outer");
        Assert.Equal(((uint)MapType.Array, 16u), (outerMetadata.Inner!.Type, outerMetadata.Inner.ValueSize));

        // Linked from the native object and its metadata, with no bytecode to read the declarations from.
        using var loaded = BpfObject.Load(native.Bytes, new BpfLoadOptions { ContextSize = 16, ReadEnvironment = false });
        Assert.True(loaded.IsNativeCode);
        Assert.Same(loaded.Maps["inner_b"], ((MapOfMaps)loaded.Maps["outer"]).GetMap(1));
        Assert.Equal(1003UL + 3, loaded.Programs["count"].Run(Context(3)));
        Assert.Equal(3UL, loaded.Programs["hashed"].Run(Context(0)));
    }

    [Fact]
    public void TheHostMayPutOnlyMapsOfTheTemplatesLayout()
    {
        var file = ObjectReader.ReadFile(PathOf("maps"));
        var maps = BpfMapFactory.CreateAll(file.Maps, file.Path, file.Btf);
        try
        {
            var outer = (MapOfMaps)maps[file.FindMapIndex("outer")];
            var template = outer.InnerTemplate!;
            foreach (var (spec, what) in new[]
            {
                (template with { Name = "more", MaxEntries = 5 }, "max_entries 5"),
                (template with { Name = "wider", ValueSize = 24 }, "value size 24"),
                (template with { Name = "hash", Type = MapType.Hash }, "type Hash"),
                (template with { Name = "flags", Flags = 0x80, IsReadOnlyForPrograms = true }, "flags 0x80"),
            })
            {
                using var other = BpfMapFactory.Create(spec);
                var error = Assert.Throws<BpfException>(() => outer.SetMap(0, other));
                Assert.Equal(DiagnosticCodes.InnerMapIncompatible, error.Code);
                Assert.Contains(what, error.Message, StringComparison.Ordinal);
                Assert.Same(maps[file.FindMapIndex("inner_a")], outer.GetMap(0));
            }
            var nested = Assert.Throws<BpfException>(() => outer.SetMap(0, maps[file.FindMapIndex("by_id")]));
            Assert.Equal(DiagnosticCodes.InnerMapIncompatible, nested.Code);
            // The host's update names a map by its index in the object, as the kernel's takes a map's fd.
            Assert.Equal(0, outer.Update(Key(0), BitConverter.GetBytes((uint)file.FindMapIndex("inner_b")), MapUpdateFlags.Any));
            Assert.Same(maps[file.FindMapIndex("inner_b")], outer.GetMap(0));
            Assert.Equal(-Errno.EINVAL, outer.SetMap(0, maps[file.FindMapIndex("inner_a")], MapUpdateFlags.NoExist));
            Assert.Equal(-Errno.E2BIG, outer.SetMap(2, maps[file.FindMapIndex("inner_a")]));

            var byId = (MapOfMaps)maps[file.FindMapIndex("by_id")];
            var innerH = maps[file.FindMapIndex("inner_h")];
            Assert.Equal(-Errno.EEXIST, byId.SetMap(3, innerH, MapUpdateFlags.NoExist));
            Assert.Equal(-Errno.ENOENT, byId.SetMap(1, innerH, MapUpdateFlags.Exist));
            for (uint key = 4; key < 7; key++)
            {
                Assert.Equal(0, byId.SetMap(key, innerH));
            }
            Assert.Equal(-Errno.E2BIG, byId.SetMap(9, innerH));
        }
        finally
        {
            maps.ForEach(m => m.Dispose());
        }
    }

    [SkippableTheory]
    [MemberData(nameof(EngineNames))]
    public void TheVerifierRefusesEveryMisuseOfAMapOfMaps(string engine)
    {
        var error = Assert.Throws<BpfException>(() => Load("hostile", engine, verified: true).Dispose());
        // update_slot asks bpf_map_update_elem to write the map of maps: programs only read those, as on Linux.
        foreach (var program in new[] { "write_slot", "read_slot", "forged_inner", "shifted_inner", "update_slot" })
        {
            Assert.Contains(error.Diagnostics, d => d.Program == program && d.Severity == DiagnosticSeverity.Error);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(EngineNames))]
    public void CheckedCodeCannotWriteReadOrForgeAnInnerMap(string engine)
    {
        using var loaded = Load("hostile", engine, verified: false);
        var outer = (MapOfMaps)loaded.Maps["outer"];
        var inner = loaded.Maps["inner"];
        Assert.Equal(0, inner.Update(Key(0), BitConverter.GetBytes(99UL), MapUpdateFlags.Any));

        // Through the outer lookup's result: no memory to read or write.
        var write = Assert.Throws<BpfException>(() => loaded.Programs["write_slot"].Run(Context(0xdead_beef)));
        Assert.StartsWith("BPF400", write.Code, StringComparison.Ordinal);
        var read = Assert.Throws<BpfException>(() => loaded.Programs["read_slot"].Run(Context(0)));
        Assert.StartsWith("BPF400", read.Code, StringComparison.Ordinal);

        // The outer map's slots are the host's: the update helper refuses.
        Assert.Equal(-Errno.EINVAL, (int)loaded.Programs["update_slot"].Run(Context(0)));
        Assert.Same(inner, outer.GetMap(0));

        // A number passed as a map: a map of another object, an address near the handle, any value.
        using var stranger = ArrayMap.Create("stranger", 8, 2);
        foreach (var forged in new[] { (ulong)stranger.Handle, (ulong)inner.Handle + 8, 0x1000UL })
        {
            var error = Assert.Throws<BpfException>(() => loaded.Programs["forged_inner"].Run(Context(forged)));
            Assert.Equal(DiagnosticCodes.ForgedMapHandle, error.Code);
        }
        var shifted = Assert.Throws<BpfException>(() => loaded.Programs["shifted_inner"].Run(Context(0)));
        Assert.Equal(DiagnosticCodes.ForgedMapHandle, shifted.Code);

        // The inner map is still whole and still the one the slot holds.
        Assert.Same(inner, outer.GetMap(0));
        Assert.Equal(99UL, inner.AsArray<ulong>()[0]);

        // A map of no object, put in a slot by the host: the program may name it while a slot holds it.
        using var lent = BpfMapFactory.Create(outer.InnerTemplate! with { Name = "lent" });
        Assert.Equal(0, lent.Update(Key(0), BitConverter.GetBytes(7UL), MapUpdateFlags.Any));
        Assert.Equal(0, outer.SetMap(0, lent));
        Assert.Equal(7UL, loaded.Programs["forged_inner"].Run(Context((ulong)lent.Handle)));
        Assert.Equal(0, outer.Delete(Key(0)));
        var removed = Assert.Throws<BpfException>(() => loaded.Programs["forged_inner"].Run(Context((ulong)lent.Handle)));
        Assert.Equal(DiagnosticCodes.ForgedMapHandle, removed.Code);
    }
}
