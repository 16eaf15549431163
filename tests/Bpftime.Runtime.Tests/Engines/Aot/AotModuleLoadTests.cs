using Bpftime.Engines.Aot;
using Bpftime.Linking.Native;
using Bpftime.Objects;

namespace Bpftime.Runtime.Tests.Engines.Aot;

public class AotModuleLoadTests
{
    [Fact]
    public void RequiredMapsComeFromTheMetadataAndTheLinkerBindsThem()
    {
        var path = Path.Combine(AotTestObjects.Directory, "maps_meta.o");
        var bytes = File.ReadAllBytes(path);
        Assert.True(AotObjectFile.IsNativeObject(bytes));
        var metadata = AotLinker.ReadMetadata(bytes, path);
        Assert.NotNull(metadata);
        var spec = Assert.Single(metadata.Maps).ToMapSpec();
        Assert.Equal(new MapSpec("totals", MapType.Array, 4, 8, 1), spec);
        Assert.Null(AotLinker.ReadMetadata(AotTestObjects.Read("maps.o")));

        using var map = new OneValueMap(spec.Name, spec.ValueSize);
        using var module = AotLinker.Link(bytes, new AotLinkOptions { Helpers = AotTestObjects.Helpers(), Maps = [map], Origin = path });
        Assert.Equal(path, module.Origin);
        Assert.Equal(108UL, module.GetProgram("count").Execute(0, 4));
    }
}
