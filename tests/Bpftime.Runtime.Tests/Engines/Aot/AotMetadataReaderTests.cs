using System.Text;
using System.Text.Json;
using Bpftime.Engines.Aot;

namespace Bpftime.Runtime.Tests.Engines.Aot;

/// <summary>
/// The hand-written metadata reader against the serializer that writes the section: every field
/// survives the trip, and malformed or hostile JSON is a JsonException (BPF3103 at link time), never
/// a crash or a half-filled record.
/// </summary>
public class AotMetadataReaderTests
{
    private static readonly AotMetadata Full = new()
    {
        Format = 1,
        Triple = "x86_64-unknown-linux-gnu",
        SourceHash = "sha256:00ff",
        SourceName = "filter.bpf.o",
        OptimizationLevel = 3,
        TargetCpu = "generic",
        HelperSet = "tracing",
        Programs =
        [
            new AotProgram
            {
                Name = "checksum",
                Symbol = "bpf_main",
                Section = "socket",
                StackSize = 24,
                CallDepth = 2,
                Helpers = [new AotHelperUse(1, "bpf_map_lookup_elem", "ptr(map,key)") { StopsProgramOnZero = true }],
                Maps = [0, 2],
                UsesHelperById = true,
                Checked = true,
                Proved = true,
                TerminationProven = false,
                CountsBudget = true,
                ContextSize = 64,
                ContextLengthInR2 = true,
                CheckedAbi = 3,
            },
            new AotProgram { Name = "second", Symbol = "second" },
        ],
        Maps =
        [
            new AotMap { Name = ".bss", Type = 2, KeySize = 4, ValueSize = 16, MaxEntries = 1, Flags = 0x400, IsGlobalData = true, IsReadOnly = true, InitialValue = [1, 2, 3] },
            new AotMap { Name = "counts", Type = 1, KeySize = 8, ValueSize = 8, MaxEntries = uint.MaxValue },
        ],
    };

    [Fact]
    public void EveryFieldTheSerializerWritesIsReadBack()
    {
        var json = Full.ToJsonBytes();
        var read = AotMetadata.FromJson(json);
        Assert.Equal(Encoding.UTF8.GetString(json), Encoding.UTF8.GetString(read.ToJsonBytes()));
        // And the same as the serializer's own reading of those bytes.
        var reference = JsonSerializer.Deserialize(json, AotMetadataJsonContext.Default.AotMetadata)!;
        Assert.Equal(Encoding.UTF8.GetString(reference.ToJsonBytes()), Encoding.UTF8.GetString(read.ToJsonBytes()));
        Assert.Equal([1, 2, 3], read.Maps[0].InitialValue);
        Assert.Null(read.Programs[1].TerminationProven);
        Assert.Null(read.Programs[1].ContextSize);
        Assert.Equal(1, read.Programs[1].CallDepth);
    }

    [Fact]
    public void UnknownPropertiesAreSkippedAndTheLastOfARepeatedOneWins()
    {
        var read = AotMetadata.FromJson("""{"future":{"a":[1,{"b":null}]},"triple":"a","triple":"b","programs":[],"extra":[[]]}"""u8);
        Assert.Equal("b", read.Triple);
        Assert.Empty(read.Programs);
        Assert.Empty(read.Maps);
        Assert.Equal(AotMetadata.CurrentFormat, read.Format);
    }

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("""{"triple":"x"}""")]
    [InlineData("""{"programs":[]}""")]
    [InlineData("""{"triple":null,"programs":[]}""")]
    [InlineData("""{"triple":"x","programs":null}""")]
    [InlineData("""{"triple":"x","programs":[{"name":"p"}]}""")]
    [InlineData("""{"triple":"x","programs":[{"name":"p","symbol":"s","stack_size":"24"}]}""")]
    [InlineData("""{"triple":"x","programs":[{"name":"p","symbol":"s","stack_size":4294967296}]}""")]
    [InlineData("""{"triple":"x","programs":[{"name":"p","symbol":"s","checked":1}]}""")]
    [InlineData("""{"triple":"x","programs":[{"name":"p","symbol":"s","helpers":[{"id":1,"name":"h"}]}]}""")]
    [InlineData("""{"triple":"x","programs":[{"name":"p","symbol":"s","maps":[-1.5]}]}""")]
    [InlineData("""{"triple":"x","programs":[],"maps":[{"name":"m","key_size":-1}]}""")]
    [InlineData("""{"triple":"x","programs":[],"maps":[{"name":"m","initial_value":"not base64!"}]}""")]
    [InlineData("""{"triple":"x","programs":[],"maps":[{"type":1}]}""")]
    [InlineData("""{"triple":"x","programs":[]} {}""")]
    [InlineData("""{"triple":"x","programs":[""")]
    [InlineData("""{"triple":"x","programs":[],}""")]
    [InlineData("""{"triple":"x","programs":[1,]}""")]
    [InlineData("""{"triple":"x" "programs":[]}""")]
    [InlineData("""{"triple":"x","programs":[]}/* comment */""")]
    [InlineData("""{"triple":"\ud800","programs":[]}""")]
    [InlineData("""{"triple":"\udc00x","programs":[]}""")]
    [InlineData("""{"triple":"\x41","programs":[]}""")]
    [InlineData("""{"triple":"\u12","programs":[]}""")]
    [InlineData("{\"triple\":\"a\tb\",\"programs\":[]}")]
    [InlineData("""{"triple":"x","programs":[],"format":01}""")]
    [InlineData("""{"triple":"x","programs":[],"format":1e2}""")]
    [InlineData("""{"triple":"x","programs":[],"format":-}""")]
    [InlineData("""{"triple":"x","programs":[],"maps":[{"name":"m","type":-0}]}""")]
    [InlineData("""{"triple":"x","programs":[],"future":tru}""")]
    [InlineData("{\"triple\":\"x\",\"programs\":[],\"future\":nul}")]
    public void MalformedMetadataIsAJsonException(string json)
    {
        Assert.ThrowsAny<JsonException>(() => AotMetadata.FromJson(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void InvalidUtf8InAStringIsAJsonException()
    {
        byte[] json = [.. "{\"triple\":\""u8, 0xC3, 0x28, .. "\",\"programs\":[]}"u8];
        Assert.ThrowsAny<JsonException>(() => AotMetadata.FromJson(json));
    }

    [Fact]
    public void EscapesWhitespaceAndNumbersReadAsTheSerializerReadsThem()
    {
        var json = " {\r\n \"tri\\u0070le\" : \"a\\\"b\\\\c\\/\\n\\u00e9\\ud83d\\ude00\" ,\t\"programs\":[ ] , \"format\" : -0,"
            + "\"maps\":[{\"name\":\"m\",\"max_entries\":4294967295,\"initial_value\":\"AQID\"}] } ";
        var read = AotMetadata.FromJson(Encoding.UTF8.GetBytes(json));
        var reference = JsonSerializer.Deserialize(Encoding.UTF8.GetBytes(json), AotMetadataJsonContext.Default.AotMetadata)!;
        Assert.Equal("a\"b\\c/\n\u00e9\U0001F600", read.Triple);
        Assert.Equal(reference.Triple, read.Triple);
        Assert.Equal(0, read.Format);
        Assert.Equal(uint.MaxValue, read.Maps[0].MaxEntries);
        Assert.Equal([1, 2, 3], read.Maps[0].InitialValue);
    }

    [Fact]
    public void DeepNestingIsRefusedWithoutExhaustingTheStack()
    {
        var json = """{"triple":"x","programs":[],"future":""" + new string('[', 100_000) + new string(']', 100_000) + "}";
        Assert.ThrowsAny<JsonException>(() => AotMetadata.FromJson(Encoding.UTF8.GetBytes(json)));
    }
}
