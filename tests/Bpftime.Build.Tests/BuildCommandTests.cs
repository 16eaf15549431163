using System.Buffers.Binary;
using Bpftime.Tests;

namespace Bpftime.Build.Tests;

/// <summary>`bpftime build @rsp` run as the SDK runs it: outputs, program selection, cross targets, errors and exit codes.</summary>
public sealed class BuildCommandTests : IDisposable
{
    private readonly string _directory = EndToEnd.CreateAwkwardDirectory("tool");

    private static string ToolAssembly => Path.Combine(TestPaths.RepositoryRoot, "src", "Bpftime.Tool", "bin", DotNetCommand.BuildConfiguration, "net10.0", "bpftime.dll");

    private static string SampleObject => Path.Combine(EndToEnd.SampleDirectory, "filter.bpf.o");

    public void Dispose() => EndToEnd.DeleteQuietly(_directory);

    [Fact]
    public void WritesBytecodeAndAnAccessorForTheChosenPrograms()
    {
        var result = Build(Entry(SampleObject, programs: "checksum", engine: "jit"));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("bpftime build: filter.bpf.o -> filter: 1 program(s), 2 map(s), 1 verified, bytecode only", result.Output, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllBytes(SampleObject), File.ReadAllBytes(Output("filter.bpf.o")));
        Assert.False(File.Exists(Output("filter.linux-x64.o")));
        var accessor = File.ReadAllText(Output("filter.g.cs"));
        Assert.Contains("internal sealed partial class Filter", accessor, StringComparison.Ordinal);
        // Built for 64 bytes of raw memory: its property runs on a copy, in place or on a host struct.
        Assert.Contains("public RawMemoryProgram Checksum => new(_object.GetProgram(\"checksum\"))", accessor, StringComparison.Ordinal);
        Assert.Contains("public ref BssSection Bss => ref global::Bpftime.Hosting.BpfMapViews.AsArray<BssSection>(_object.Maps[\".bss\"]).GetRef(0)", accessor, StringComparison.Ordinal);
        Assert.Contains("[global::System.Runtime.InteropServices.FieldOffset(8)] public ulong BytesSeen;", accessor, StringComparison.Ordinal);
        Assert.Contains("public ref readonly RodataSection Rodata", accessor, StringComparison.Ordinal);
        // The item's engine, and the programs: the bytecode fallback must load the same programs as the native code.
        Assert.Contains("BpfLoadOptions.ForBuildItem(options, ref s_itemOptions, \"jit\", new string[] { \"checksum\" }, null, ContextSize, ", accessor, StringComparison.Ordinal);
    }

    [Fact]
    public void CompilesForAnotherArchitectureAndChecksTheMetadata()
    {
        var result = Build(Entry(SampleObject, rid: "linux-arm64", triple: "aarch64-unknown-linux-gnu"));

        Assert.True(result.ExitCode == 0, result.ToString());
        var native = File.ReadAllBytes(Output("filter.linux-arm64.o"));
        Assert.Equal(183, BinaryPrimitives.ReadUInt16LittleEndian(native.AsSpan(18))); // e_machine: EM_AARCH64
    }

    [Fact]
    public void AnErrorInCodeClangLeftWithoutALineTakesTheNearestKnownLine()
    {
        // Instructions 16-20 of reader() (the loads merged from both inlined calls of pick) have line 0;
        // instructions 10-15 are at line 12 (`if (which)`), the last known line of the same function.
        var source = Path.Combine(TestPaths.RepositoryRoot, "tests", "data", "c", "skeleton", "inline_line.bpf.o");
        var result = Build(Entry(source));

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Output.Split('\n'), l => l.Contains(": error BPF2", StringComparison.Ordinal));
        Assert.Contains("inline_line.bpf.c(12,", line, StringComparison.Ordinal);
        Assert.Contains("nearest known line before it", line, StringComparison.Ordinal);
        Assert.Contains("[reader+19]", line, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownProgramNameRejectsTheObjectWithExitCodeOne()
    {
        var result = Build(Entry(SampleObject, programs: "nope"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error BPF4106: Programs names nope", result.Output, StringComparison.Ordinal);
        Assert.Contains("it has: checksum", result.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Output("filter.g.cs")));
    }

    [Fact]
    public void AMissingObjectIsAnErrorOnThatFile()
    {
        var missing = Path.Combine(_directory, "missing.bpf.o");
        var result = Build(Entry(missing));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{missing}: error BPF", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnreadableManifestIsExitCodeTwo()
    {
        var manifest = Path.Combine(_directory, "broken.json");
        File.WriteAllText(manifest, "{ not json");
        var rsp = Path.Combine(_directory, "broken.rsp");
        File.WriteAllText(rsp, $"--manifest\n\"{manifest}\"\n");

        var result = DotNetCommand.Run(_directory, "exec", ToolAssembly, "build", "@" + rsp);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("error BPF4106: cannot read the build manifest", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void MapsOverBpfMaxMapMemoryRejectTheObject()
    {
        // 0: no map memory at all, and the sample has global data.
        var result = Build(Entry(SampleObject, engine: "jit", maxMapMemory: "0"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error BPF4226", result.Output, StringComparison.Ordinal);
        Assert.Contains("BpfMaxMapMemory", result.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Output("filter.g.cs")));

        // A setting the manifest cannot mean is an unusable manifest, as a bad OptimizationLevel is.
        var bad = Build(Entry(SampleObject, engine: "jit", maxMapMemory: "lots"));
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("MaxMapMemory 'lots' is not a memory size", bad.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void TheAccessorPassesTheHelperSetAndTheMapMemoryLimitToTheLoader()
    {
        var result = Build(Entry(SampleObject, engine: "jit", helperSet: "xdp", maxMapMemory: "1G"));

        Assert.True(result.ExitCode == 0, result.ToString());
        var accessor = File.ReadAllText(Output("filter.g.cs"));
        Assert.Contains("ref s_itemOptions, \"jit\", null, \"xdp\", ContextSize, ", accessor, StringComparison.Ordinal);
        Assert.Contains("setsMaxMapMemory: true, maxMapMemory: 1073741824L)", accessor, StringComparison.Ordinal);
        Assert.Contains("public const int ContextSize = 64;", accessor, StringComparison.Ordinal);
    }

    [Fact]
    public void TheTracingHelperSetIsAcceptedAsTheOptInForHostMemoryHelpers()
    {
        var result = Build(Entry(SampleObject, engine: "jit", helperSet: "tracing"));

        Assert.True(result.ExitCode == 0, "the build must accept BpfHelperSet=tracing (the runtime's set of that name): " + result);
        Assert.Contains("ref s_itemOptions, \"jit\", null, \"tracing\", ", File.ReadAllText(Output("filter.g.cs")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("true", "auto", true)]
    [InlineData("false", "off", false)]
    public void NativeMetadataRecordsWhetherTheVerifierProvedEachProgram(string verify, string memoryChecks, bool proved)
    {
        var result = Build(Entry(SampleObject, rid: "linux-x64", triple: "x86_64-unknown-linux-gnu", verify: verify, memoryChecks: memoryChecks));

        Assert.True(result.ExitCode == 0, result.ToString());
        var metadata = Bpftime.Linking.Native.AotLinker.ReadMetadata(File.ReadAllBytes(Output("filter.linux-x64.o")));
        Assert.NotNull(metadata);
        Assert.All(metadata.Programs, p =>
        {
            Assert.False(p.Checked);
            Assert.Equal(proved, p.Proved);
            Assert.Equal(64, p.ContextSize);
        });
    }

    private string Output(string fileName) => Path.Combine(_directory, "out", fileName);

    private string Entry(string source, string programs = "", string engine = "aot", string rid = "", string triple = "",
        string helperSet = "default", string maxMapMemory = "", string verify = "true", string memoryChecks = "auto")
    {
        var native = rid.Length > 0 ? Output($"filter.{rid}.o") : "";
        return $$"""
            { "source": {{Json(source)}}, "bpfName": "filter", "className": "Filter", "optimizationLevel": "2",
              "engine": "{{engine}}", "verify": "{{verify}}", "contextSize": "64", "programs": "{{programs}}", "targetCpu": "generic", "helperSet": "{{helperSet}}",
              "memoryChecks": "{{memoryChecks}}", "maxMapMemory": "{{maxMapMemory}}",
              "runtimeIdentifier": "{{rid}}", "triple": "{{triple}}", "bytecodeCopy": {{Json(Output("filter.bpf.o"))}},
              "nativeObject": {{Json(native)}}, "accessor": {{Json(Output("filter.g.cs"))}} }
            """;
    }

    private DotNetCommand.Result Build(string entry)
    {
        var manifest = Path.Combine(_directory, "bpftime.build.json");
        File.WriteAllText(manifest, $$"""{ "format": 1, "namespace": "Bpf", "objects": [ {{entry}} ] }""");
        var rsp = Path.Combine(_directory, "bpftime.build.rsp");
        File.WriteAllText(rsp, $"--manifest\n\"{manifest}\"\n");
        return DotNetCommand.Run(_directory, "exec", ToolAssembly, "build", "@" + rsp);
    }

    private static string Json(string text) => System.Text.Json.JsonSerializer.Serialize(text);
}
