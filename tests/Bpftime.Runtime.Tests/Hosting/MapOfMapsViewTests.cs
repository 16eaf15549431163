using Bpftime.Diagnostics;
using Bpftime.Hosting;
using Bpftime.Maps;
using Bpftime.Objects;

namespace Bpftime.Tests.Hosting;

/// <summary>
/// The typed view of a map of maps: inner maps come out as the inner template's typed view, and a host
/// that puts in a map of another layout, a disposed map, a map of maps, or a slot past the end gets a
/// BPF error and leaves the slots as they were.
/// </summary>
public class MapOfMapsViewTests
{
    private static readonly MapSpec Template = new("template", MapType.Array, 4, 16, 2);

    private static MapOfMaps Outer(MapSpec? template = null, MapType type = MapType.ArrayOfMaps, uint keySize = 4) =>
        new(new MapSpec("outer", type, keySize, 4, 3) { InnerMap = template ?? Template });

    private static BpfMapOfMapsView<uint, BpfArrayView<Pair>> Typed(BpfMap outer) =>
        outer.AsMapOfMaps<uint, BpfArrayView<Pair>>(static m => m.AsArray<Pair>(), static v => v.Map);

    private record struct Pair(ulong First, ulong Second);

    [Fact]
    public void InnerMapsComeOutTypedAndSlotsFillAndEmpty()
    {
        using var outer = Outer();
        var view = Typed(outer);
        Assert.Same(Template, view.InnerTemplate);
        var made = view.CreateInnerMap("made");
        try
        {
            made[1u] = new Pair(7, 8);
            Assert.Equal(0, view.Set(2, made));
            Assert.True(view.TryGet(2, out var inner));
            Assert.Equal(new Pair(7, 8), inner[1u]);
            // The view reads the same memory: a write through one is seen through the other.
            inner[0u] = new Pair(1, 2);
            Assert.Equal(new Pair(1, 2), made[0u]);
            Assert.Same(made.Map, outer.GetMap(2));
            Assert.Equal(new[] { 2u }, view.Keys);
            Assert.Equal(new[] { 2u }, view.Select(e => e.Key));
            Assert.False(view.TryGet(0, out _));
            Assert.Throws<KeyNotFoundException>(() => view[0]);

            Assert.Equal(0, view.Delete(2));
            Assert.Equal(-Errno.ENOENT, view.Delete(2));
            Assert.Empty(view.Keys);
            Assert.False(made.Map.IsDisposed);
        }
        finally
        {
            made.Map.Dispose();
        }
    }

    [Fact]
    public void HostileInnerMapsAreRefusedAndLeaveTheSlotsAlone()
    {
        using var outer = Outer();
        var view = Typed(outer);
        using var other = ArrayMap.Create("other", 16, 3);
        using var narrow = ArrayMap.Create("narrow", 8, 2);
        using var program = new ProgramArrayMap(new MapSpec("jumps", MapType.ProgArray, 4, 4, 2));
        var gone = view.CreateInnerMap("gone");
        gone.Map.Dispose();

        Assert.Equal(DiagnosticCodes.InnerMapIncompatible, Assert.Throws<BpfException>(() => view[0] = other.AsArray<Pair>()).Code);
        Assert.Contains("max_entries 3, not 2", Assert.Throws<BpfException>(() => view.SetMap(0, other)).Message, StringComparison.Ordinal);
        Assert.Contains("value size 8, not 16", Assert.Throws<BpfException>(() => view.SetMap(0, narrow)).Message, StringComparison.Ordinal);
        Assert.Contains("is disposed", Assert.Throws<BpfException>(() => view[0] = gone).Message, StringComparison.Ordinal);
        Assert.Equal(DiagnosticCodes.InnerMapIncompatible, Assert.Throws<BpfException>(() => view.SetMap(0, outer)).Code);
        Assert.Equal(DiagnosticCodes.InnerMapIncompatible, Assert.Throws<BpfException>(() => view.SetMap(0, program)).Code);
        Assert.Throws<ArgumentNullException>(() => view.SetMap(0, null!));

        using var fits = ArrayMap.Create("fits", 16, 2);
        Assert.Equal(-Errno.E2BIG, view.SetMap(3, fits));
        Assert.Equal(-Errno.EINVAL, view.SetMap(0, fits, MapUpdateFlags.NoExist));
        var pastTheEnd = Assert.Throws<BpfException>(() => view[3] = fits.AsArray<Pair>());
        Assert.Equal(DiagnosticCodes.MapOfMapsSlotRefused, pastTheEnd.Code);
        Assert.Contains("-E2BIG", pastTheEnd.Message, StringComparison.Ordinal);
        Assert.Empty(view.Keys);

        // A map disposed while a slot holds it reads as empty: never memory that is gone.
        view[1] = fits.AsArray<Pair>();
        fits.Dispose();
        Assert.False(view.TryGet(1, out _));
        Assert.False(view.ContainsKey(1));
        Assert.Empty(view.Keys);
    }

    [Fact]
    public void ViewsOfTheWrongShapeAreRefused()
    {
        using var outer = Outer();
        using var array = ArrayMap.Create("array", 4, 1);
        Assert.Equal(DiagnosticCodes.MapViewMismatch, Assert.Throws<BpfException>(() => array.AsMapOfMaps<uint>()).Code);
        Assert.Equal(DiagnosticCodes.MapViewMismatch, Assert.Throws<BpfException>(() => outer.AsMapOfMaps<ulong>()).Code);

        // An inner view whose value is not the template's size fails when it opens a map, not later on a read.
        var wrong = outer.AsMapOfMaps<uint, BpfArrayView<ulong>>(static m => m.AsArray<ulong>(), static v => v.Map);
        Assert.Equal(DiagnosticCodes.MapViewMismatch, Assert.Throws<BpfException>(() => wrong.CreateInnerMap("wrong")).Code);
        using var fits = ArrayMap.Create("fits", 16, 2);
        Assert.Equal(0, wrong.SetMap(0, fits));
        Assert.Equal(DiagnosticCodes.MapViewMismatch, Assert.Throws<BpfException>(() => wrong.TryGet(0, out _)).Code);
    }

    [Fact]
    public void CreatedMapsFollowTheTemplate()
    {
        using var strict = Outer();
        Assert.Contains("exactly 2 entries", Assert.Throws<BpfException>(() => Typed(strict).CreateInnerMap("wide", 8)).Message, StringComparison.Ordinal);

        // With BPF_F_INNER_MAP the template leaves max_entries open.
        using var open = Outer(Template with { Flags = MapOfMaps.InnerMapFlag });
        var wide = Typed(open).CreateInnerMap("wide", 8);
        using (wide.Map)
        {
            Assert.Equal(8, wide.Count);
            Assert.Equal(0, Typed(open).Set(0, wide));
        }

        using var bare = new MapOfMaps(new MapSpec("bare", MapType.ArrayOfMaps, 4, 4, 1));
        Assert.Equal(DiagnosticCodes.MapOfMapsWithoutTemplate, Assert.Throws<BpfException>(() => Typed(bare).CreateInnerMap("any")).Code);
        using var any = ArrayMap.Create("any", 16, 2);
        Assert.Equal(DiagnosticCodes.MapOfMapsWithoutTemplate, Assert.Throws<BpfException>(() => Typed(bare).SetMap(0, any)).Code);
    }

    [Fact]
    public void HashOfMapsKeysTakeTheKernelFlags()
    {
        var template = new MapSpec("template", MapType.Hash, 4, 8, 4);
        using var outer = new MapOfMaps(new MapSpec("by_name", MapType.HashOfMaps, 8, 4, 2) { InnerMap = template });
        var view = outer.AsMapOfMaps<ulong, BpfHashView<uint, ulong>>(static m => m.AsHash<uint, ulong>(), static v => v.Map);
        var first = view.CreateInnerMap("first");
        var second = view.CreateInnerMap("second");
        var third = view.CreateInnerMap("third");
        using (first.Map)
        using (second.Map)
        using (third.Map)
        {
            first[5] = 50;
            Assert.Equal(0, view.Set(0xaaaa_0000_0001, first, MapUpdateFlags.NoExist));
            Assert.Equal(-Errno.EEXIST, view.Set(0xaaaa_0000_0001, second, MapUpdateFlags.NoExist));
            Assert.Equal(-Errno.ENOENT, view.Set(0xbbbb, second, MapUpdateFlags.Exist));
            Assert.Equal(0, view.Set(0xbbbb, second));
            Assert.Equal(-Errno.E2BIG, view.Set(0xcccc, third));
            Assert.Equal(50UL, view[0xaaaa_0000_0001][5]);
            Assert.Equal(new[] { 0xbbbbUL, 0xaaaa_0000_0001UL }, view.Keys.Order());
        }
        Assert.Empty(view.Keys);
    }

    /// <summary>
    /// tests/data/c/libbpf_maps/maps.bpf.c: hashed() returns inner_h[7] through by_id[3], or -1; the host
    /// swaps in a map of its own through the view, and a program then reads it, on every engine.
    /// </summary>
    [Theory]
    [MemberData(nameof(HostingEngines.WithNative), MemberType = typeof(HostingEngines))]
    public void ProgramsReachTheMapTheHostPutIn(string engine)
    {
        using var loaded = HostingEngines.Load(Path.Combine(TestPaths.DataDirectory, "obj", "libbpf_maps", "maps.bpf.o"), engine, contextSize: 8);
        var byId = loaded.Maps["by_id"].AsMapOfMaps<uint, BpfHashView<uint, ulong>>(static m => m.AsHash<uint, ulong>(), static v => v.Map);
        var hashed = loaded.Programs["hashed"];
        Assert.Equal(-1, (int)hashed.Run(new byte[8]));

        byId[3][7] = 12;
        Assert.Equal(12, (int)hashed.Run(new byte[8]));
        var own = byId.CreateInnerMap("own");
        using (own.Map)
        {
            own[7] = 55;
            byId[3] = own;
            Assert.Equal(55, (int)hashed.Run(new byte[8]));
            Assert.Equal(12UL, loaded.Maps["inner_h"].AsHash<uint, ulong>()[7]);
        }
        // Disposed by the host: the slot reads as empty to programs and to the view.
        Assert.Equal(-1, (int)hashed.Run(new byte[8]));
        Assert.False(byId.ContainsKey(3));
    }
}
