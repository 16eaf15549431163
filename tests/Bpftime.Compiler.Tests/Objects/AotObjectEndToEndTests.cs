using Bpftime.Compiler.Aot;
using Bpftime.Engines;
using Bpftime.Engines.Aot;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Linking.Native;
using Bpftime.Maps;
using Bpftime.Objects;
using Bpftime.Tests;

namespace Bpftime.Compiler.Tests.Objects;

/// <summary>A clang-built object compiled ahead of time as a whole, then linked and run as an app would.</summary>
public sealed class AotObjectEndToEndTests
{
    [SkippableFact]
    public void GlobalDataObjectCompilesLinksAndRuns()
    {
        LlvmRequirement.SkipIfMissing();
        Skip.IfNot(new AotEngine().IsAvailable(out var reason), reason);
        var path = Path.Combine(TestPaths.DataDirectory, "obj", "global_data.bpf.o");
        var bytes = File.ReadAllBytes(path);
        var file = ObjectReader.Read(bytes, path);
        var helpers = ConformanceHelpers.Create();
        var compiled = AotCompiler.Compile(AotCompilation.FromObject(file, helpers, bytes) with { OptimizationLevel = 3 });
        Assert.StartsWith("sha256:", compiled.Metadata.SourceHash);
        Assert.Equal("global_data.bpf.o", compiled.Metadata.SourceName);

        // What the runtime does with an embedded object: maps from the metadata, then link.
        var metadata = AotLinker.ReadMetadata(compiled.Bytes, path)!;
        Assert.Equal(file.Maps.Count, metadata.Maps.Count);
        var maps = file.Maps.Select(spec => (BpfMap)new ArrayMap(spec)).ToList();
        try
        {
            using var module = AotLinker.Link(compiled.Bytes, new AotLinkOptions { Helpers = helpers, Maps = maps, Origin = path });
            var program = module.GetProgram("read_globals");
            // See global_data.bpf.c: 42 * 10 + 300 + 'f' + 2 * 103 on the first run, 430 + ... on the second.
            Assert.Equal(1028UL, program.Run([2]));
            Assert.Equal(1038UL, program.Run([2]));
        }
        finally
        {
            maps.ForEach(m => m.Dispose());
        }
    }
}
