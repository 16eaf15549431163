using Bpftime.Engines.Aot;
using Bpftime.Linking.Native;
using Bpftime.Objects;

namespace Bpftime.Runtime.Tests.Engines.Aot;

public class AotObjectEngineTests
{
    [Fact]
    public void RequiredMapsComeFromTheMetadataAndLoadFileLinksThem()
    {
        var path = Path.Combine(AotTestObjects.Directory, "maps_meta.o");
        var bytes = File.ReadAllBytes(path);
        Assert.True(AotObjectEngine.IsNativeObject(bytes));
        var spec = Assert.Single(AotObjectEngine.RequiredMaps(bytes, path));
        Assert.Equal(new MapSpec("totals", MapType.Array, 4, 8, 1), spec);
        Assert.Empty(AotObjectEngine.RequiredMaps(AotTestObjects.Read("maps.o")));

        using var map = new OneValueMap(spec.Name, spec.ValueSize);
        using var module = AotObjectEngine.LoadFile(path, new AotLinkOptions { Helpers = AotTestObjects.Helpers(), Maps = [map] });
        Assert.Equal(path, module.Origin);
        Assert.Equal(108UL, module.GetProgram("count").Execute(0, 4));
    }
}
