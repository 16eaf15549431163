using System.Text.Json;

namespace Bpftime.Tests.Tool.Commands;

/// <summary>
/// bpftime run --dump-maps shows keys and values through the object's BTF, as bpftool does. The
/// expected values follow from the C sources in tests/data/c/programs and the memory given.
/// </summary>
public sealed class FormattedMapDumpTests
{
    private static ToolRunner.Result RunWith(string objectName, byte[] memory, params string[] extra)
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, memory);
            return ToolRunner.Run(["run", ToolRunner.DataFile("c", "programs", "obj", objectName), "--mem", path, "--dump-maps", .. extra]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static Dictionary<string, JsonElement> Maps(ToolRunner.Result result)
    {
        Assert.True(result.ExitCode == 0, result.Error);
        using var document = JsonDocument.Parse(result.Output);
        return document.RootElement.GetProperty("maps").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!, m => m.Clone());
    }

    [Fact]
    public void GlobalVariablesAreShownByNameWithSignedNumbersAndStrings()
    {
        // A reading of -5 celsius, three times: 230 tenths of a degree fahrenheit.
        var maps = Maps(RunWith("global_config.bpf.o", [0xfb, 0xff, 0xff, 0xff], "--repeat", "3", "--json"));
        var bss = maps[".bss"].GetProperty("entries")[0];
        Assert.Equal(0, bss.GetProperty("formatted").GetProperty("key").GetInt32());
        var variables = bss.GetProperty("formatted").GetProperty("value");
        Assert.Equal(3, variables.GetProperty("readings").GetInt32());
        Assert.Equal(0, variables.GetProperty("above").GetInt32());
        Assert.Equal("230 F", variables.GetProperty("last").GetString());
        // The hex stays beside it.
        Assert.StartsWith("03000000", bss.GetProperty("value").GetString(), StringComparison.Ordinal);
        var data = maps[".data"].GetProperty("entries")[0].GetProperty("formatted").GetProperty("value");
        Assert.Equal(-5, data.GetProperty("minimum").GetInt32());
        Assert.Equal(-5, data.GetProperty("maximum").GetInt32());
        var rodata = maps[".rodata"].GetProperty("entries")[0].GetProperty("formatted").GetProperty("value");
        Assert.Equal(30, rodata.GetProperty("threshold").GetInt32());
        Assert.Equal(["C", "F", "K"], rodata.GetProperty("unit_names").EnumerateArray().Select(e => e.GetString()!));
    }

    [Fact]
    public void StructValuesOfHashMapsHaveTheirMembers()
    {
        // struct sample { __u32 flow = 7; __u32 bytes = 1500; }
        var maps = Maps(RunWith("hash_aggregator.bpf.o", [7, 0, 0, 0, 0xdc, 0x05, 0, 0], "--json"));
        var entry = Assert.Single(maps["stats"].GetProperty("entries").EnumerateArray());
        Assert.Equal("07000000", entry.GetProperty("key").GetString());
        var formatted = entry.GetProperty("formatted");
        Assert.Equal(7u, formatted.GetProperty("key").GetUInt32());
        Assert.Equal(1UL, formatted.GetProperty("value").GetProperty("packets").GetUInt64());
        Assert.Equal(1500UL, formatted.GetProperty("value").GetProperty("bytes").GetUInt64());
    }

    [Fact]
    public void PerCpuValuesAreOnePerCpu()
    {
        var result = RunWith("xdp_firewall.bpf.o", new byte[64], "--program", "firewall", "--json");
        var counters = Maps(result)["counters"].GetProperty("entries");
        foreach (var entry in counters.EnumerateArray())
        {
            var slots = entry.GetProperty("formatted").GetProperty("values").EnumerateArray().ToList();
            Assert.Equal(entry.GetProperty("values").GetArrayLength(), slots.Count);
            Assert.Equal(Enumerable.Range(0, slots.Count), slots.Select(s => s.GetProperty("cpu").GetInt32()));
            Assert.All(slots, s => Assert.Equal(JsonValueKind.Number, s.GetProperty("value").ValueKind));
        }
        // One packet was counted somewhere: the per-CPU slots add up to one.
        Assert.Equal(1UL, counters.EnumerateArray().SelectMany(e => e.GetProperty("formatted").GetProperty("values").EnumerateArray())
            .Aggregate(0UL, (sum, s) => sum + s.GetProperty("value").GetUInt64()));
    }

    [Fact]
    public void TheTextDumpIsReadableWithoutJson()
    {
        var result = RunWith("global_config.bpf.o", [25, 0, 0, 0]);
        Assert.Equal(0, result.ExitCode);
        var lines = result.Output.Split('\n', StringSplitOptions.TrimEntries);
        Assert.Equal("0x302", lines[0]);
        Assert.Contains("map .bss (Array, key 4 bytes, value 40 bytes, max_entries 1):", lines);
        Assert.Contains("0: {\"readings\":1,\"above\":0,\"last\":\"770 F\"}", lines);
    }
}
