using System.Text.Json;
using Bpftime.Diagnostics;
using Bpftime.Isa;

namespace Bpftime.Tests.Tool.Commands;

/// <summary>--mem-len on verify, compile and run: the (mem, len) contract, r1 pointing at exactly r2 bytes.</summary>
public sealed class MemoryWithLengthTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("bpftime-memlen-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>r0 = r2, the length the program is told.</summary>
    private static readonly Instruction[] ReturnsR2 =
    [
        new(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Mov, OperandSource.Register), 0, 2, 0, 0),
        new(Opcodes.Exit, 0, 0, 0, 0),
    ];

    /// <summary>Reads the byte at r1 + 16 with no bounds test, so the verifier refuses it and it runs checked.</summary>
    private static readonly Instruction[] ReadsByte16 =
    [
        new(Opcodes.Memory(InstructionClass.Ldx, MemoryMode.Mem, Bpftime.Isa.MemorySize.Byte), 0, 1, 16, 0),
        new(Opcodes.Exit, 0, 0, 0, 0),
    ];

    private string Write(string name, Instruction[] code)
    {
        var bytes = new byte[code.Length * 8];
        for (var i = 0; i < code.Length; i++)
        {
            code[i].Write(bytes.AsSpan(i * 8, 8));
        }
        var path = Path.Combine(_directory, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private string Memory(int length)
    {
        var path = Path.Combine(_directory, $"mem{length}");
        File.WriteAllBytes(path, new byte[length]);
        return path;
    }

    [Fact]
    public void RunGivesTheProgramTheMemorysRealLength()
    {
        var program = Write("len.bin", ReturnsR2);
        var result = ToolRunner.Run(["run", program, "--mem-len", "--mem", Memory(37), "--json"]);
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.Equal(37UL, JsonDocument.Parse(result.Output).RootElement.GetProperty("result_value").GetUInt64());
    }

    [Theory]
    [InlineData("interpreter")]
    [InlineData("jit")]
    public void CheckedCodeIsBoundedByTheMemorysLength(string engine)
    {
        var program = Write("read16.bin", ReadsByte16);
        Assert.Equal(0, ToolRunner.Run(["run", program, "--engine", engine, "--mem-len", "--mem", Memory(17)]).ExitCode);
        var short16 = ToolRunner.Run(["run", program, "--engine", engine, "--mem-len", "--mem", Memory(16)]);
        Assert.Equal(2, short16.ExitCode);
        Assert.Contains("error BPF40", short16.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifyAcceptsTheFlag()
    {
        var result = ToolRunner.Run(["verify", Write("len.bin", ReturnsR2), "--mem-len", "--json"]);
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.True(JsonDocument.Parse(result.Output).RootElement.GetProperty("programs")[0].GetProperty("passed").GetBoolean());
    }

    /// <summary>As run and compile do, verify keeps xdp_md for XDP programs under --mem-len, and the length contract for the rest.</summary>
    [Fact]
    public void VerifyKeepsXdpProgramsOnTheirFrame()
    {
        var parser = ToolRunner.Run(["verify", ToolRunner.DataFile("obj", "verifier", "user_parser.bpf.o"), "--mem-len"]);
        Assert.True(parser.ExitCode == 0, parser.Output + parser.Error);
        var histogram = ToolRunner.Run(["verify", ToolRunner.DataFile("obj", "verifier", "user_histogram.bpf.o"), "--mem-len"]);
        Assert.True(histogram.ExitCode == 0, histogram.Output + histogram.Error);
        var pastLength = ToolRunner.Run(["verify", ToolRunner.DataFile("obj", "verifier", "unsafe", "histogram_past_len.bpf.o"), "--mem-len"]);
        Assert.Equal(1, pastLength.ExitCode);
        Assert.Contains("error BPF2004", pastLength.Error + pastLength.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("on")]
    [InlineData("auto")]
    [InlineData("off")]
    public void CompileRecordsTheContractInTheMetadata(string checks)
    {
        var native = Path.Combine(_directory, $"len.{checks}.o");
        var result = ToolRunner.Run(["compile", ToolRunner.DataFile("obj", "verifier", "primes.bpf.o"), "-o", native, "--memory-checks", checks, "--ctx-size", "64", "--mem-len"]);
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        var metadata = Bpftime.Linking.Native.AotLinker.ReadMetadata(File.ReadAllBytes(native));
        Assert.NotNull(metadata);
        Assert.All(metadata.Programs, p => Assert.Equal((true, (int?)null), (p.ContextLengthInR2, p.ContextSize)));
    }

    [Theory]
    [InlineData("verify")]
    [InlineData("compile")]
    [InlineData("run")]
    public void HelpListsMemLen(string command) =>
        Assert.Contains("--mem-len", ToolRunner.Run([command, "--help"]).Output, StringComparison.Ordinal);
}
