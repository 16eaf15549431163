using System.Text.Json;

namespace Bpftime.Tests.Tool;

/// <summary>bpftime run --dump-maps: the maps as JSON after the runs.</summary>
public sealed class RunDumpMapsTests
{
    [Theory]
    [InlineData("interpreter")]
    [InlineData("jit")]
    public void DumpMapsShowsGlobalDataAfterTheRuns(string engine)
    {
        var mem = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(mem, [25, 0, 0, 0]);
            var result = ToolRunner.Run(["run", ToolRunner.DataFile("c", "programs", "obj", "global_config.bpf.o"), "--mem", mem,
                "--engine", engine, "--repeat", "3", "--json", "--dump-maps"]);
            Assert.Equal(0, result.ExitCode);
            using var document = JsonDocument.Parse(result.Output);
            Assert.Equal(770UL, document.RootElement.GetProperty("result_value").GetUInt64());
            var maps = document.RootElement.GetProperty("maps").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!);
            // .bss starts with readings (u32) = 3 runs, then above = 0.
            var bss = maps[".bss"].GetProperty("entries")[0].GetProperty("value").GetString()!;
            Assert.StartsWith("0300000000000000", bss);
            Assert.Equal("Array", maps[".data"].GetProperty("type").GetString());
        }
        finally
        {
            File.Delete(mem);
        }
    }

    [Fact]
    public void XdpProgramsRunOnAPacketAndNameTheVerdict()
    {
        var packet = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(packet, new byte[10]);
            var result = ToolRunner.Run(["run", ToolRunner.DataFile("c", "programs", "obj", "xdp_firewall.bpf.o"), "--program", "firewall",
                "--mem", packet, "--dump-maps"]);
            Assert.Equal(0, result.ExitCode);
            Assert.StartsWith("0x0 (XDP_ABORTED)", result.Output);
            Assert.Contains("map counters (PerCpuArray, key 4 bytes, value 8 bytes, max_entries 4):", result.Output);
            Assert.Contains("    cpu 0: ", result.Output);
        }
        finally
        {
            File.Delete(packet);
        }
    }
}
