using Bpftime.Engines.Aot;
using Bpftime.Linking.Native;

namespace Bpftime.Runtime.Tests.Engines.Aot;

public class AotObjectFileTests
{
    [Fact]
    public void TellsNativeObjectsFromEbpfAndOtherBytes()
    {
        Assert.True(AotObjectFile.IsNativeObject(AotTestObjects.Read("helpers.o")));
        Assert.True(AotObjectFile.IsNativeObject(AotTestObjects.Read("helpers_aarch64.o")));
        var bpf = AotTestObjects.Read("helpers.o");
        bpf[18] = 247; // EM_BPF
        bpf[19] = 0;
        Assert.False(AotObjectFile.IsNativeObject(bpf));
        Assert.False(AotObjectFile.IsNativeObject("not an object"u8));
        Assert.False(AotObjectFile.IsNativeObject([]));
    }

    [Fact]
    public void ReadsSectionsSymbolsRelocationsAndMetadata()
    {
        var file = AotObjectFile.Read(AotTestObjects.Read("maps_meta.o"));
        Assert.Equal(AotObjectFile.MachineX64, file.Machine);
        var text = file.FindSection(".text");
        Assert.NotNull(text);
        Assert.True(text!.IsExecutable);
        Assert.Contains(file.RelocationsFor(text), r => (X64RelocationType)r.Type == X64RelocationType.RexGotPcRelativeRelaxable);
        var main = file.FindGlobalSymbol("bpf_main");
        Assert.NotNull(main);
        Assert.True(main!.IsFunction);
        Assert.Contains(file.Symbols, s => s.Name == "_bpf_map_value_0" && s.IsUndefined);
        var metadata = file.ReadMetadata();
        Assert.NotNull(metadata);
        var map = Assert.Single(metadata!.Maps);
        Assert.Equal(("totals", 2u, 4u, 8u, 1u), (map.Name, map.Type, map.KeySize, map.ValueSize, map.MaxEntries));
        var program = Assert.Single(metadata.Programs);
        Assert.Equal("i64(map,scalar)", Assert.Single(program.Helpers).Signature);
        Assert.Equal(AotLinker.ReadMetadata(AotTestObjects.Read("maps_meta.o"))!.Triple, metadata.Triple);
        Assert.Null(AotLinker.ReadMetadata(AotTestObjects.Read("maps.o")));
    }
}
