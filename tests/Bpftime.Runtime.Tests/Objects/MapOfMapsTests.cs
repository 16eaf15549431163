using System.Buffers.Binary;
using Bpftime.Diagnostics;
using Bpftime.Isa;
using Bpftime.Objects;
using Bpftime.Tests.Verification;
using Bpftime.Verification;

namespace Bpftime.Tests.Objects;

/// <summary>
/// Maps of maps and their inner layouts (tests/data/c/map_of_maps): legacy definitions naming the inner
/// map by inner_map_idx, in `maps` or in one `maps/NAME` section per map, and a BTF map of maps that
/// declares none, which the reader warns about and whose lookups the verifier refuses.
/// </summary>
public class MapOfMapsTests
{
    private static string PathOf(string name) => Path.Combine(TestPaths.DataDirectory, "obj", "map_of_maps", name + ".bpf.o");

    private static BpfObjectFile Read(string name) => ObjectReader.ReadFile(PathOf(name));

    private static VerificationResult Verify(BpfObjectFile file, BpfProgramInfo? program = null) =>
        BpfVerifier.Verify(program ?? file.Programs[0], file.Maps, new VerifierOptions(), file.Path);

    [Fact]
    public void LegacyInnerMapIndexGivesTheInnerLayout()
    {
        var file = Read("legacy_inner_index");
        var outer = file.Maps[file.FindMapIndex("outer")];
        Assert.Equal(MapType.ArrayOfMaps, outer.Type);
        Assert.Equal(4u, outer.ValueSize);
        Assert.Equal(("inner", MapType.Array, 4u, 16u, 4u), (outer.InnerMap!.Name, outer.InnerMap.Type, outer.InnerMap.KeySize, outer.InnerMap.ValueSize, outer.InnerMap.MaxEntries));
        Assert.DoesNotContain(file.Warnings, w => w.Code == DiagnosticCodes.MapOfMapsWithoutInnerLayout);
        VerifierKit.AssertPasses(Verify(file));
    }

    [Fact]
    public void TheInnerLayoutBoundsWhatTheProgramMayRead()
    {
        // The program reads bytes 12-15 of the 16-byte inner value; moved to 16-19 it leaves the value.
        var file = Read("legacy_inner_index");
        var program = file.Programs[0];
        var read = program.Instructions.ToList().FindIndex(i => i.Class == InstructionClass.Ldx && i.Offset == 12);
        Assert.True(read > 0);
        var code = program.ToArray();
        code[read] = code[read].WithOffset(16);
        var result = Verify(file, program with { Instructions = code });
        Assert.False(result.Passed);
        Assert.Equal(DiagnosticCodes.VerifierMapValueOutOfBounds, result.Errors.First().Code);
        Assert.Equal(read, result.Errors.First().InstructionIndex);
    }

    [Fact]
    public void OneLegacyMapPerSection()
    {
        var file = Read("section_per_map");
        Assert.Equal(["maps/outer", "maps/inner"], file.Maps.Select(m => m.Section));
        var outer = file.Maps[0];
        Assert.Equal(MapType.HashOfMaps, outer.Type);
        Assert.Equal(("inner", MapType.Hash, 8u), (outer.InnerMap!.Name, outer.InnerMap.Type, outer.InnerMap.ValueSize));
        Assert.Equal(1, file.RelocationCount(RelocationKind.MapReference));
        VerifierKit.AssertPasses(Verify(file));
    }

    [Theory]
    [InlineData(1u)]   // itself
    [InlineData(2u)]   // past the two legacy maps
    [InlineData(0xffffffffu)]
    public void AnInnerMapIndexThatNamesNoOtherMapIsRefused(uint index)
    {
        var bytes = File.ReadAllBytes(PathOf("legacy_inner_index"));
        var maps = new ElfLayout(bytes).Find("maps")!;
        // inner (28 bytes) then outer: outer's inner_map_idx is at 28 + 20.
        var at = maps.Offset + 28 + 20;
        Assert.Equal((uint)MapType.ArrayOfMaps, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(maps.Offset + 28)));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at)));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), index);
        var error = Assert.Throws<BpfException>(() => ObjectReader.Read(bytes, "bad.bpf.o"));
        Assert.Equal(DiagnosticCodes.LegacyInnerMapInvalid, error.Code);
        Assert.Contains("outer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BtfMapOfMapsWithoutInnerLayoutIsNamedAndItsLookupsRefused()
    {
        var file = Read("btf_without_inner");
        var warning = Assert.Single(file.Warnings, w => w.Code == DiagnosticCodes.MapOfMapsWithoutInnerLayout);
        Assert.Contains("outer", warning.Message, StringComparison.Ordinal);
        Assert.Null(file.Maps[0].InnerMap);
        var result = Verify(file);
        Assert.False(result.Passed);
        Assert.Equal(DiagnosticCodes.VerifierMapTypeMismatch, result.Errors.First().Code);
    }
}
