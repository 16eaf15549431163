using System.Buffers.Binary;
using System.Text;
using Bpftime.Diagnostics;
using Bpftime.Engines.Aot;
using Bpftime.Linking.Native;
using Bpftime.Tests.Objects;

namespace Bpftime.Runtime.Tests.Engines.Aot;

/// <summary>
/// A native object's metadata with repeated program names is refused (BPF3103) naming the first name
/// that repeats, whether the object has a few programs or many; the array views of the metadata's
/// lists hold what the lists hold, whatever kind of list backs them.
/// </summary>
public class AotMetadataProgramNameTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(200)]
    public void RepeatedProgramNamesAreRefusedNamingTheFirstRepeat(int count)
    {
        var names = Enumerable.Range(0, count).Select(i => $"p{i}").ToArray();
        Assert.Equal(count, ObjectWithPrograms(names).ReadMetadata()!.Programs.Count);

        // p1 repeats at the end, p0 just before it: p0's repeat comes first.
        var repeated = names.Append("p0").Append("p1").ToArray();
        var error = Assert.Throws<BpfException>(() => ObjectWithPrograms(repeated).ReadMetadata());
        Assert.Equal(DiagnosticCodes.AotMetadataInvalid, error.Code);
        Assert.Contains("incomplete: two programs are named 'p0'", error.Message);
    }

    [Fact]
    public void ArrayViewsHoldWhatTheListsHold()
    {
        var program = new AotProgram { Name = "a", Symbol = "a", Helpers = new List<AotHelperUse> { new(1, "h", "s") }, Maps = new List<int> { 3, 1 } };
        var metadata = new AotMetadata { Triple = "x", Programs = new List<AotProgram> { program }, Maps = new List<AotMap> { new() { Name = "m" } } };

        Assert.Equal([program], metadata.ProgramArray);
        Assert.Equal("m", Assert.Single(metadata.MapArray).Name);
        Assert.Equal("h", Assert.Single(program.HelperArray).Name);
        Assert.Equal([3, 1], program.MapIndexArray);

        var read = AotMetadata.FromJson(metadata.ToJsonBytes());
        Assert.Same(read.Programs, read.ProgramArray);
        Assert.Same(read.Maps, read.MapArray);
    }

    private static AotObjectFile ObjectWithPrograms(string[] names)
    {
        var programs = string.Join(",", names.Select(name => $$"""{"name":"{{name}}","symbol":"{{name}}"}"""));
        var json = $$"""{"format":1,"triple":"x86_64-unknown-linux-gnu","programs":[{{programs}}]}""";
        var builder = new ElfBuilder();
        builder.Section(AotMetadata.SectionName, Encoding.UTF8.GetBytes(json), flags: 0);
        var bytes = builder.Build();
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(18), AotObjectFile.MachineX64);
        return AotObjectFile.Read(bytes);
    }
}
