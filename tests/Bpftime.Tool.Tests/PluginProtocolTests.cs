using System.Globalization;
using Bpftime.Isa;
using Bpftime.Isa.Conformance;
using Bpftime.Tests.Conformance;
using Bpftime.Tool;

namespace Bpftime.Tests.Tool;

/// <summary>
/// The conformance suite's plugin protocol, spoken by <c>bpftime plugin</c> on every engine the tool
/// lists: program as hex on standard input, memory as a hex argument, r0 in hex on standard output.
/// </summary>
public sealed class PluginProtocolTests
{
    public static TheoryData<string, string> FilesOnEveryEngine
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var engine in EngineCatalog.CreateDefault().Names)
            {
                foreach (var file in ConformanceCases.Files)
                {
                    data.Add(engine, file);
                }
            }
            return data;
        }
    }

    [SkippableTheory]
    [MemberData(nameof(FilesOnEveryEngine))]
    public void PluginGivesTheExpectedResult(string engine, string fileName)
    {
        var directory = ConformanceCases.TestsDirectory;
        Skip.If(directory is null || fileName == ConformanceCases.Placeholder, ConformanceCases.SkipReason);
        Skip.IfNot(EngineCatalog.CreateDefault().Find(engine)!.IsAvailable(out var why), $"{engine}: {why}");
        var vector = ConformanceFile.Load(Path.Combine(directory!, fileName));

        var result = ToolRunner.Run(["plugin", Hex(vector.Memory), "--engine", engine], Hex(InstructionDecoder.Encode(vector.Program())));

        if (vector.ExpectedError is not null)
        {
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains("BPF", result.Error);
            return;
        }
        Assert.True(result.ExitCode == 0, $"{fileName} on {engine}: exit {result.ExitCode}: {result.Error}");
        var r0 = ulong.Parse(result.Output.Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        Assert.Equal(vector.ExpectedResult!.Value, r0);
    }

    /// <summary>Negative vectors with raw encodings must be refused by the loader with a message and a non-zero exit.</summary>
    [SkippableFact]
    public void RawNegativeVectorsAreRefused()
    {
        Skip.If(TestPaths.ConformanceDirectory is null, ConformanceCases.SkipReason);
        var checkedFiles = 0;
        foreach (var path in Directory.EnumerateFiles(Path.Combine(TestPaths.ConformanceDirectory!, "negative"), "*.data"))
        {
            var vector = ConformanceFile.Load(path);
            if (vector.RawInstructions is not { } raw)
            {
                continue;
            }
            var result = ToolRunner.Run(["plugin"], Hex(InstructionDecoder.Encode(raw)));
            Assert.True(result.ExitCode != 0, $"{Path.GetFileName(path)} was accepted");
            Assert.Matches(@"error BPF1\d{3}", result.Error);
            checkedFiles++;
        }
        Assert.True(checkedFiles > 0, "no raw negative vector was found");
    }

    [Fact]
    public void MalformedHexIsRefusedWithExitCode2()
    {
        var result = ToolRunner.Run(["plugin"], "b7 00 0");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("BPF4183", result.Error);
    }

    [Fact]
    public void OutOfProcessPluginSpeaksTheProtocol()
    {
        // mov r0, r2 (the memory length); exit
        var result = ToolRunner.RunProcess(["plugin", "01 02 03", "--engine", "interpreter"], "bf 20 00 00 00 00 00 00 95 00 00 00 00 00 00 00");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("3", result.Output.Trim());
    }

    /// <summary>
    /// Every vector through a real <c>bpftime plugin</c> process, as the suite's own runner drives it.
    /// A process per file takes minutes, so it runs when BPFTIME_PLUGIN_PROCESS_ENGINE names an engine.
    /// </summary>
    [SkippableFact]
    public void EveryVectorThroughARealPluginProcess()
    {
        var engine = Environment.GetEnvironmentVariable("BPFTIME_PLUGIN_PROCESS_ENGINE");
        Skip.If(string.IsNullOrEmpty(engine), "set BPFTIME_PLUGIN_PROCESS_ENGINE=interpreter (or another engine) to run every vector out of process");
        var directory = ConformanceCases.TestsDirectory;
        Skip.If(directory is null, ConformanceCases.SkipReason);
        var failures = new List<string>();
        var files = Directory.GetFiles(directory!, "*.data").Order(StringComparer.Ordinal).ToList();
        foreach (var path in files)
        {
            var vector = ConformanceFile.Load(path);
            var result = ToolRunner.RunProcess(["plugin", Hex(vector.Memory), "--engine", engine!], Hex(InstructionDecoder.Encode(vector.Program())));
            var passed = vector.ExpectedError is not null
                ? result.ExitCode != 0
                : result.ExitCode == 0 && ulong.TryParse(result.Output.Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var r0)
                    && r0 == vector.ExpectedResult;
            if (!passed)
            {
                failures.Add($"{Path.GetFileName(path)}: exit {result.ExitCode}, out '{result.Output.Trim()}', err '{result.Error.Trim()}'");
            }
        }
        Console.WriteLine($"plugin --engine {engine}: {files.Count - failures.Count} of {files.Count} vectors passed out of process");
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    private static string Hex(ReadOnlySpan<byte> bytes)
    {
        var text = new System.Text.StringBuilder(bytes.Length * 3);
        foreach (var b in bytes)
        {
            text.Append(b.ToString("x2", CultureInfo.InvariantCulture)).Append(' ');
        }
        return text.ToString().TrimEnd();
    }
}
