using Bpftime.Tests;

namespace Bpftime.Build.Tests;

/// <summary>
/// RequireTermination in the build: the manifest entry reaches the verifier and the accessor, and the
/// SDK's BpfRequireTermination property and item metadata reach the manifest.
/// </summary>
[Collection(nameof(BuildCollection))]
public sealed class TerminationPolicyBuildTests : IDisposable
{
    private readonly string _directory = EndToEnd.CreateAwkwardDirectory("termination");

    private static string ToolAssembly => Path.Combine(TestPaths.RepositoryRoot, "src", "Bpftime.Tool", "bin", DotNetCommand.BuildConfiguration, "net10.0", "bpftime.dll");

    private static string SampleObject => Path.Combine(EndToEnd.SampleDirectory, "filter.bpf.o");

    public void Dispose() => EndToEnd.DeleteQuietly(_directory);

    [Theory]
    [InlineData("true")]
    [InlineData("false")]
    public void AProgramProvedToEndBuildsEitherWayAndTheAccessorCarriesThePolicy(string requireTermination)
    {
        var result = Build(requireTermination);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain("BPF4187", result.Output, StringComparison.Ordinal);
        var metadata = Bpftime.Linking.Native.AotLinker.ReadMetadata(File.ReadAllBytes(Output("filter.linux-x64.o")));
        Assert.NotNull(metadata);
        Assert.All(metadata.Programs, p => Assert.Equal((true, true, false), (p.Proved, p.TerminationProven, p.CountsBudget)));
        var accessor = File.ReadAllText(Output("filter.g.cs"));
        // The bytecode fallback is held to the same rule as the build.
        Assert.Equal(requireTermination == "true", accessor.Contains("requireTermination: true", StringComparison.Ordinal));
    }

    [Fact]
    public void TheProjectPropertyAndTheItemMetadataReachTheManifest()
    {
        File.Copy(SampleObject, Path.Combine(_directory, "filter.bpf.o"));
        File.Copy(Path.Combine(EndToEnd.SampleDirectory, "filter.bpf.c"), Path.Combine(_directory, "filter.bpf.c"));
        File.Copy(SampleObject, Path.Combine(_directory, "second.bpf.o"));
        // The project asks for proof of termination; the second item opts out with its metadata and
        // takes the (mem, len) contract (unverified: the sample reads 64 bytes without asking r2).
        File.WriteAllText(Path.Combine(_directory, "Policy.csproj"), EndToEnd.SourceModeProject("""
                <BpfProgram Include="filter.bpf.o" ContextSize="64" />
                <BpfProgram Include="second.bpf.o" ContextSize="64" RequireTermination="false" Context="MemoryWithLength" Verify="false" />
              </ItemGroup>
              <PropertyGroup>
                <BpfRequireTermination>true</BpfRequireTermination>
              </PropertyGroup>
              <ItemGroup>
            """));
        File.WriteAllText(Path.Combine(_directory, "Program.cs"), "return 0;\n");

        var build = DotNetCommand.Build(_directory);

        Assert.True(build.ExitCode == 0, build.ToString());
        var outputs = Directory.GetDirectories(Path.Combine(_directory, "obj"), "bpftime", SearchOption.AllDirectories).Single();
        Assert.Contains("requireTermination: true", File.ReadAllText(Path.Combine(outputs, "filter.g.cs")), StringComparison.Ordinal);
        var second = File.ReadAllText(Path.Combine(outputs, "second.g.cs"));
        Assert.Contains("requireTermination: false", second, StringComparison.Ordinal);
        Assert.Contains("memoryWithLength: true", second, StringComparison.Ordinal);
        // (mem, len) ignores ContextSize: the skeleton declares 0, from which the loader sets no size.
        Assert.Contains("public const int ContextSize = 0;", second, StringComparison.Ordinal);
        Assert.Contains("ContextSize, memoryWithLength: true", second, StringComparison.Ordinal);
        var manifest = File.ReadAllText(Directory.GetFiles(outputs, "*.json").Single());
        Assert.Contains("\"requireTermination\": \"true\"", manifest, StringComparison.Ordinal);
        Assert.Contains("\"requireTermination\": \"false\"", manifest, StringComparison.Ordinal);
        Assert.Contains("\"context\": \"Raw\"", manifest, StringComparison.Ordinal);
        Assert.Contains("\"context\": \"MemoryWithLength\"", manifest, StringComparison.Ordinal);
    }

    [Fact]
    public void TheMemoryWithLengthContractReachesTheNativeMetadataAndTheAccessor()
    {
        var result = Build("false", context: "MemoryWithLength", verify: "false");

        Assert.True(result.ExitCode == 0, result.ToString());
        var metadata = Bpftime.Linking.Native.AotLinker.ReadMetadata(File.ReadAllBytes(Output("filter.linux-x64.o")));
        Assert.NotNull(metadata);
        Assert.All(metadata.Programs, p => Assert.Equal((true, (int?)null), (p.ContextLengthInR2, p.ContextSize)));
        var accessor = File.ReadAllText(Output("filter.g.cs"));
        Assert.Contains("memoryWithLength: true", accessor, StringComparison.Ordinal);
        Assert.Contains("public const int ContextSize = 0;", accessor, StringComparison.Ordinal);
        Assert.DoesNotContain("ContextSize = options.ContextSize", accessor, StringComparison.Ordinal);
        Assert.Contains("public MemoryProgram Checksum", accessor, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownContextIsRefused()
    {
        var result = Build("false", context: "Packet");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Context 'Packet' is not one of Raw, MemoryWithLength", result.Output, StringComparison.Ordinal);
    }

    private string Output(string fileName) => Path.Combine(_directory, "out", fileName);

    private DotNetCommand.Result Build(string requireTermination, string context = "Raw", string verify = "true")
    {
        var entry = $$"""
            { "source": {{Json(SampleObject)}}, "bpfName": "filter", "className": "Filter", "optimizationLevel": "2",
              "engine": "aot", "verify": "{{verify}}", "context": "{{context}}", "contextSize": "64", "programs": "", "targetCpu": "generic", "helperSet": "default",
              "memoryChecks": "auto", "maxMapMemory": "", "requireTermination": "{{requireTermination}}",
              "runtimeIdentifier": "linux-x64", "triple": "x86_64-unknown-linux-gnu", "bytecodeCopy": {{Json(Output("filter.bpf.o"))}},
              "nativeObject": {{Json(Output("filter.linux-x64.o"))}}, "accessor": {{Json(Output("filter.g.cs"))}} }
            """;
        var manifest = Path.Combine(_directory, "bpftime.build.json");
        File.WriteAllText(manifest, $$"""{ "format": 1, "namespace": "Bpf", "objects": [ {{entry}} ] }""");
        var rsp = Path.Combine(_directory, "bpftime.build.rsp");
        File.WriteAllText(rsp, $"--manifest\n\"{manifest}\"\n");
        return DotNetCommand.Run(_directory, "exec", ToolAssembly, "build", "@" + rsp);
    }

    private static string Json(string text) => System.Text.Json.JsonSerializer.Serialize(text);
}
