using Bpftime.Objects;
using Bpftime.Tests;
using Bpftime.Tool.Build;

namespace Bpftime.Tool.Tests.Build;

/// <summary>
/// What the skeleton declares for maps of maps: the inner template's typed view, with key and value
/// types from the template's BTF (tests/data/c/libbpf_maps/maps.bpf.c: an array of maps of
/// `struct value` arrays and a hash of maps of u32 -> u64 hashes), and the untyped map when the object
/// declares no template (tests/data/c/map_of_maps/btf_without_inner.bpf.c).
/// </summary>
public sealed class MapOfMapsSkeletonTests
{
    private const string Hosting = "global::Bpftime.Hosting";

    private static string Generate(params string[] path)
    {
        var source = Path.Combine([TestPaths.DataDirectory, "obj", .. path]);
        var bytes = File.ReadAllBytes(source);
        var file = ObjectReader.Read(bytes, source);
        var item = new BuildItem { Source = source, Name = "maps", ClassName = "Maps", BytecodeCopy = "maps.bpf.o", Accessor = "maps.g.cs" };
        return AccessorGenerator.Generate("Bpf", item, file, file.Programs, bytes);
    }

    [Fact]
    public void InnerMapsAreTheTemplatesTypedView()
    {
        var code = Generate("libbpf_maps", "maps.bpf.o");
        Assert.Contains($"public {Hosting}.BpfMapOfMapsView<uint, {Hosting}.BpfArrayView<Value>> Outer => _outer ??= {Hosting}.BpfMapViews.AsMapOfMaps<uint, {Hosting}.BpfArrayView<Value>>(_object.Maps[\"outer\"], static inner => {Hosting}.BpfMapViews.AsArray<Value>(inner), static view => view.Map);", code, StringComparison.Ordinal);
        Assert.Contains($"public {Hosting}.BpfMapOfMapsView<uint, {Hosting}.BpfHashView<uint, ulong>> ById => ", code, StringComparison.Ordinal);
        Assert.Contains("inner maps Hash, key 4 B, value 8 B, 8 entries", code, StringComparison.Ordinal);
        Assert.DoesNotContain("global::Bpftime.Maps.BpfMap ", code, StringComparison.Ordinal);
    }

    [Fact]
    public void AMapOfMapsWithoutATemplateStaysUntyped()
    {
        var code = Generate("map_of_maps", "btf_without_inner.bpf.o");
        Assert.Contains("public global::Bpftime.Maps.BpfMap Outer => _object.Maps[\"outer\"];", code, StringComparison.Ordinal);
    }
}
