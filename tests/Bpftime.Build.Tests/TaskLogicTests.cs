using Bpftime.Build.Tasks;
using Bpftime.Tests;

namespace Bpftime.Build.Tests;

/// <summary>The pieces of the MSBuild tasks that decide names and read the tool's output.</summary>
public sealed class TaskLogicTests
{
    [Theory]
    [InlineData("filter.bpf.o", "filter")]
    [InlineData("net/filter.bpf.o", "net.filter")]
    [InlineData("probes/my probe@ü.bpf.o", "probes.my probe@ü")]
    [InlineData("raw.o", "raw")]
    public void NamesComeFromThePathInsideTheProject(string path, string expected) =>
        Assert.Equal(expected, ProgramNaming.NameFor(path));

    [Fact]
    public void ObjectsOutsideTheProjectGetAPathHash()
    {
        var a = ProgramNaming.NameFor("../a/filter.bpf.o");
        var b = ProgramNaming.NameFor("../b/filter.bpf.o");

        Assert.StartsWith("filter.", a, StringComparison.Ordinal);
        Assert.NotEqual(a, b);
        Assert.Equal(a, ProgramNaming.NameFor("../a/filter.bpf.o"));
    }

    [Theory]
    [InlineData("filter", "Filter")]
    [InlineData("net.filter", "NetFilter")]
    [InlineData("my-probe_v2", "MyProbeV2")]
    [InlineData("2fast", "_2fast")]
    public void ClassNamesAreIdentifiers(string name, string expected) =>
        Assert.Equal(expected, ProgramNaming.ClassNameFor(name));

    [Fact]
    public void SkeletonClassesAreNamedAfterTheFileWithoutItsFolder()
    {
        var names = ProgramNaming.ClassNamesFor(
        [
            new("xdp_count.bpf.o", ProgramNaming.NameFor("bpf/xdp_count.bpf.o")),
            new("filter.bpf.o", ProgramNaming.NameFor("filter.bpf.o")),
            new("filter.bpf.o", ProgramNaming.NameFor("nested/filter.bpf.o")),
            new("filter.bpf.o", ProgramNaming.NameFor("csrc/filter.bpf.o")),
        ]);

        // No stutter (Bpf.XdpCount, not Bpf.BpfXdpCount); a shared file name falls back to the whole name.
        Assert.Equal(["XdpCount", "Filter", "NestedFilter", "CsrcFilter"], names);
    }

    /// <summary>The tool names the accessor's members from the same rows (AccessorNamingTests).</summary>
    [Theory]
    [MemberData(nameof(PascalCaseCases.Rows), MemberType = typeof(PascalCaseCases))]
    public void ClassNamesAreNamedAsTheAccessorsMembers(string name, string expected) =>
        Assert.Equal(expected, ProgramNaming.ClassNameFor(name));

    [Fact]
    public void ReadsACanonicalErrorWithSourcePosition()
    {
        var parsed = CanonicalDiagnostic.Parse("/tmp/a b/x@ü (1)/filter.bpf.c(24,21): error BPF1102: opcode 0xff is not an eBPF instruction [checksum+6]");

        Assert.NotNull(parsed);
        Assert.Equal("/tmp/a b/x@ü (1)/filter.bpf.c", parsed.File);
        Assert.Equal(24, parsed.Line);
        Assert.Equal(21, parsed.Column);
        Assert.Equal("error", parsed.Category);
        Assert.Equal("BPF1102", parsed.Code);
        Assert.EndsWith("[checksum+6]", parsed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadsAWarningWithoutPositionAndTheToolAsOrigin()
    {
        var onFile = CanonicalDiagnostic.Parse("/p/filter.bpf.o: warning BPF4107: bytecode only");
        var onTool = CanonicalDiagnostic.Parse("bpftime: error BPF4106: cannot read the build manifest");

        Assert.Equal(("/p/filter.bpf.o", 0, "warning"), (onFile!.File, onFile.Line, onFile.Category));
        Assert.Null(onTool!.File);
        Assert.Null(CanonicalDiagnostic.Parse("bpftime build: filter.bpf.o -> filter: 1 program(s)"));
    }

    [Theory]
    [InlineData("linux-x64", true, "linux-x64", "x86_64-unknown-linux-gnu")]
    [InlineData("linux-musl-arm64", true, "linux-arm64", "aarch64-unknown-linux-gnu")]
    [InlineData("win-x64", false, "win-x64", "")]
    public void RuntimeIdentifiersPickTheTarget(string rid, bool supported, string expectedRid, string expectedTriple)
    {
        Assert.Equal(supported, TargetPlatform.TryResolve(rid, out var resolved, out var triple));
        Assert.Equal((expectedRid, expectedTriple), (resolved, triple));
    }
}
