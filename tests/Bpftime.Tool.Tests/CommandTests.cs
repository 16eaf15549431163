using System.Text.Json;

namespace Bpftime.Tests.Tool;

/// <summary>The commands as a user meets them: output, exit codes, and messages for bad input.</summary>
public sealed class CommandTests
{
    private static readonly string GlobalData = ToolRunner.DataFile("obj", "global_data.bpf.o");

    [Fact]
    public void InspectListsProgramsMapsAndRelocations()
    {
        var result = ToolRunner.Run(["inspect", GlobalData]);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("read_globals", result.Output);
        Assert.Contains(".rodata", result.Output);
        Assert.Contains("global data, read-only", result.Output);
        Assert.Contains("BTF:", result.Output);
        Assert.Contains("GlobalData", result.Output);
    }

    [Fact]
    public void InspectJsonIsOneDocumentWithLayouts()
    {
        var result = ToolRunner.Run(["inspect", GlobalData, "--json"]);
        Assert.Equal(0, result.ExitCode);
        using var document = JsonDocument.Parse(result.Output);
        var program = document.RootElement.GetProperty("programs")[0];
        Assert.Equal("read_globals", program.GetProperty("name").GetString());
        Assert.True(program.GetProperty("instructions").GetInt32() > 0);
        var rodata = document.RootElement.GetProperty("maps").EnumerateArray().Single(m => m.GetProperty("name").GetString() == ".rodata");
        Assert.Equal(16u, rodata.GetProperty("value_size").GetUInt32());
        Assert.True(rodata.GetProperty("read_only").GetBoolean());
    }

    [Fact]
    public void DisasmInterleavesCSourceAndNamesMapsAndCalls()
    {
        var result = ToolRunner.Run(["disasm", GlobalData]);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("; counter += 1;", result.Output);
        Assert.Contains("global_data.bpf.c:", result.Output);
        Assert.Contains("map_value[.data]", result.Output);
        Assert.Contains("call char_at", result.Output);
        Assert.Contains("exit", result.Output);
    }

    [Theory]
    [InlineData("interpreter")]
    [InlineData("jit")]
    [InlineData("llvm-jit")]
    [InlineData("aot")]
    public void RunGivesTheProgramsResultOnEachEngine(string engine)
    {
        var mem = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(mem, [2]);
            // 42 * 10 + table[2] (300) + "bpftime"[2] ('f' = 102) + 2 * 103 = 1028, per global_data.bpf.c.
            var result = ToolRunner.Run(["run", GlobalData, "--mem", mem, "--engine", engine]);
            Assert.Equal(0, result.ExitCode);
            Assert.Equal("0x404", result.Output.Trim());
        }
        finally
        {
            File.Delete(mem);
        }
    }

    [Fact]
    public void RunJsonReportsTimesAndRuns()
    {
        var mem = Path.GetTempFileName();
        ToolRunner.Result result;
        try
        {
            File.WriteAllBytes(mem, Enumerable.Range(1, 16).Select(i => (byte)i).ToArray());
            result = ToolRunner.Run(["run", ToolRunner.DataFile("obj", "loop_sum.bpf.o"), "--mem", mem, "--repeat", "7", "--json"]);
        }
        finally
        {
            File.Delete(mem);
        }
        Assert.Equal(0, result.ExitCode);
        using var document = JsonDocument.Parse(result.Output);
        var root = document.RootElement;
        // 1 + 2 + ... + 16, per loop_sum.bpf.c.
        Assert.Equal("0x88", root.GetProperty("result").GetString());
        Assert.Equal("interpreter", root.GetProperty("engine").GetString());
        Assert.Equal(7, root.GetProperty("runs").GetInt32());
        Assert.True(root.GetProperty("load_ns").GetInt64() > 0);
        Assert.True(root.GetProperty("exec_ns_median").GetInt64() >= 0);
    }

    [Theory]
    [InlineData("interpreter")]
    [InlineData("jit")]
    public void RunJsonReportsTheLoadApartFromTheHostsFirstCalls(string engine)
    {
        var mem = Path.GetTempFileName();
        ToolRunner.Result result;
        try
        {
            File.WriteAllBytes(mem, [2]);
            result = ToolRunner.Run(["run", ToolRunner.DataFile("obj", "global_data.bpf.o"), "--mem", mem, "--engine", engine, "--json"]);
        }
        finally
        {
            File.Delete(mem);
        }
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        var root = JsonDocument.Parse(result.Output).RootElement;
        var load = root.GetProperty("load_ns").GetInt64();
        var first = root.GetProperty("first_load_ns").GetInt64();
        var warmup = root.GetProperty("host_warmup_ns").GetInt64();
        Assert.True(load > 0 && first > 0, result.Output);
        // The cold load is split into the load alone and what the first calls cost besides.
        Assert.Equal(Math.Max(0, first - load), warmup);
        Assert.True(warmup >= 0, result.Output);
    }

    [Fact]
    public void GlobalDataPersistsAcrossRepeatedRuns()
    {
        var mem = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(mem, [2]);
            // The .data counter goes 42, 43, ... 46 over five runs: 460 + 300 + 102 + 206.
            var result = ToolRunner.Run(["run", GlobalData, "--mem", mem, "--repeat", "5"]);
            Assert.Equal("0x42c", result.Output.Trim());
        }
        finally
        {
            File.Delete(mem);
        }
    }

    [Fact]
    public void NullContextReadIsAFaultNotACrash()
    {
        var result = ToolRunner.Run(["run", ToolRunner.DataFile("obj", "loop_sum.bpf.o")]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("BPF4005", result.Error);
        Assert.Contains("[sum_bytes+", result.Error);
    }

    [Fact]
    public void CompiledObjectRunsOnItsOwnWithItsGlobalData()
    {
        var directory = Directory.CreateTempSubdirectory("bpftime-compile-");
        try
        {
            var native = Path.Combine(directory.FullName, "global_data.o");
            var mem = Path.Combine(directory.FullName, "mem.bin");
            File.WriteAllBytes(mem, [2]);
            var compiled = ToolRunner.Run(["compile", GlobalData, "-o", native, "-O", "2"]);
            Assert.True(compiled.ExitCode == 0, compiled.Error);
            Assert.Contains("read_globals", compiled.Output);

            var bytes = File.ReadAllBytes(native);
            Assert.Equal(62, BitConverter.ToUInt16(bytes, 18)); // EM_X86_64: a native object, not eBPF
            var result = ToolRunner.Run(["run", native, "--mem", mem, "--json"]);
            Assert.True(result.ExitCode == 0, result.Error);
            using var document = JsonDocument.Parse(result.Output);
            Assert.Equal("0x404", document.RootElement.GetProperty("result").GetString());
            Assert.Equal("aot", document.RootElement.GetProperty("engine").GetString());
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void CompiledCodeIsCheckedUnlessMemoryChecksAreTurnedOff()
    {
        var directory = Directory.CreateTempSubdirectory("bpftime-compile-");
        try
        {
            var mem = Path.Combine(directory.FullName, "mem.bin");
            File.WriteAllBytes(mem, [2]);
            foreach (var (checks, label) in new[] { ("on", " checked "), ("off", " unchecked ") })
            {
                var native = Path.Combine(directory.FullName, $"global_data.{checks}.o");
                var compiled = ToolRunner.Run(["compile", GlobalData, "-o", native, "--memory-checks", checks]);
                Assert.True(compiled.ExitCode == 0, compiled.Error);
                Assert.Contains(label, compiled.Output);
                var result = ToolRunner.Run(["run", native, "--mem", mem, "--json"]);
                Assert.True(result.ExitCode == 0, result.Error);
                using var document = JsonDocument.Parse(result.Output);
                Assert.Equal("0x404", document.RootElement.GetProperty("result").GetString());
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void ObjectForAnotherTargetIsRefusedByTheLinker()
    {
        var directory = Directory.CreateTempSubdirectory("bpftime-compile-");
        try
        {
            var native = Path.Combine(directory.FullName, "global_data.arm64.o");
            var compiled = ToolRunner.Run(["compile", GlobalData, "-o", native, "--target", "aarch64"]);
            Assert.True(compiled.ExitCode == 0, compiled.Error);
            Assert.Equal(183, BitConverter.ToUInt16(File.ReadAllBytes(native), 18)); // EM_AARCH64

            var result = ToolRunner.Run(["run", native]);
            Assert.Equal(2, result.ExitCode);
            Assert.Contains("BPF3102", result.Error);
            Assert.Contains("aarch64", result.Error);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void UnknownEngineIsAUsageError()
    {
        var result = ToolRunner.Run(["run", GlobalData, "--engine", "nonesuch"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("nonesuch", result.Error);
    }

    [Fact]
    public void UnknownProgramNamesTheOnesThereAre()
    {
        var result = ToolRunner.Run(["disasm", GlobalData, "--program", "nonesuch"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("BPF4181", result.Error);
        Assert.Contains("read_globals", result.Error);
    }

    [Fact]
    public void MissingFileIsExitCode2WithACode()
    {
        var result = ToolRunner.Run(["run", "/nonexistent/x.bpf.o"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Matches(@"error BPF\d{4}", result.Error);
    }

    [Fact]
    public void TruncatedObjectOutOfProcessGivesBpf1xxxAndNoStackTrace()
    {
        var truncated = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(truncated, File.ReadAllBytes(GlobalData).AsSpan(0, 100).ToArray());
            var result = ToolRunner.RunProcess(["run", truncated]);
            Assert.Equal(2, result.ExitCode);
            Assert.Matches(@"error BPF1\d{3}", result.Error);
            Assert.DoesNotContain("   at ", result.Error);
            Assert.DoesNotContain("Exception", result.Error);
        }
        finally
        {
            File.Delete(truncated);
        }
    }
}
