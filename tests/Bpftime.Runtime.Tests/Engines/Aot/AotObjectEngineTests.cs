using System.Diagnostics;
using Bpftime.Engines.Aot;
using Bpftime.Linking.Native;
using Bpftime.Objects;
using Xunit.Abstractions;

namespace Bpftime.Runtime.Tests.Engines.Aot;

public class AotObjectEngineTests(ITestOutputHelper output)
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

    [Theory]
    [InlineData("helpers_meta.o")]
    [InlineData("loops.o")]
    [InlineData("maps_meta.o")]
    public void ReportsLoadAndLinkTimeOfASmallObject(string name)
    {
        var bytes = AotTestObjects.Read(name);
        using var map = new OneValueMap("totals");
        var options = new AotLinkOptions { Helpers = AotTestObjects.Helpers(), Maps = [map] };
        for (var i = 0; i < 50; i++)
        {
            AotLinker.Link(bytes, options).Dispose();
        }
        var samples = new double[500];
        for (var i = 0; i < samples.Length; i++)
        {
            var start = Stopwatch.GetTimestamp();
            using var module = AotLinker.Link(bytes, options);
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        Array.Sort(samples);
        output.WriteLine($"link of {name} ({bytes.Length} bytes): median {samples[samples.Length / 2]:F1} us, p90 {samples[samples.Length * 9 / 10]:F1} us, min {samples[0]:F1} us");
    }
}
