using Bpftime.Diagnostics;
using Bpftime.Hosting;
using Bpftime.Maps;
using Bpftime.Tests;

namespace Bpftime.Build.Tests;

/// <summary>BpfObject loading bytecode: engines by policy, maps from the object, errors that name what is wrong.</summary>
public sealed class HostingTests
{
    private static readonly string SampleObject = Path.Combine(AppContext.BaseDirectory, "Data", "filter.bpf.o");

    private static readonly byte[] Message = "Hello, eBPF from .NET!"u8.ToArray();

    private const ulong ExpectedChecksum = 2527043956;

    [Theory]
    [InlineData("interpreter")]
    [InlineData("jit")]
    public void RunsTheSampleProgramOnTheChosenEngine(string engine)
    {
        using var loaded = BpfObject.Load(SampleObject, new BpfLoadOptions { Engine = engine, ReadEnvironment = false });

        Assert.Equal(engine, loaded.EngineName);
        Assert.Equal(ExpectedChecksum, loaded.Programs["checksum"].Run(Message));
        Assert.Equal(engine, loaded.Programs["checksum"].EngineName);
        // The program counts into .bss: one packet of Message.Length bytes.
        var totals = ((ArrayMap)loaded.Maps[".bss"]).GetValue(0);
        Assert.Equal(1UL, BitConverter.ToUInt64(totals));
        Assert.Equal((ulong)Message.Length, BitConverter.ToUInt64(totals[8..]));
        Assert.False(loaded.IsNativeCode);
    }

    [Theory]
    [InlineData("interpreter")]
    [InlineData("jit")]
    public void RunOnCopyPadsToTheVerifiedContextAndPassesTheDataLength(string engine)
    {
        using var loaded = BpfObject.Load(SampleObject, new BpfLoadOptions { Engine = engine, ContextSize = 64, ReadEnvironment = false });
        var checksum = loaded.Programs["checksum"];

        Assert.True(checksum.IsVerified);
        // 22 bytes in a zeroed 64-byte copy, r2 = 22: the hash of the message alone.
        Assert.Equal(ExpectedChecksum, checksum.RunOnCopy(Message));
        // Nothing at all: still 64 readable bytes, r2 = 0, so the loop stops at once (hash 17).
        Assert.Equal(17UL, checksum.RunOnCopy([]));
        // Longer than the context: the copy is as long as the data, and the program reads its first 64 bytes.
        var longer = new byte[200];
        Message.CopyTo(longer, 0);
        Assert.Equal(checksum.RunOnCopy(longer.AsSpan(0, 64)), checksum.RunOnCopy(longer));
    }

    [Fact]
    public void RunOnCopyRefusesAnXdpProgram()
    {
        var source = Path.Combine(TestPaths.RepositoryRoot, "tests", "data", "c", "skeleton", "skeleton.bpf.o");
        using var loaded = BpfObject.Load(source, new BpfLoadOptions { Engine = "interpreter", ContextSize = 8, ReadEnvironment = false });

        // An XDP program reads packet pointers out of its context: plain bytes must never reach it.
        var error = Assert.Throws<BpfException>(() => loaded.Programs["count_packets"].RunOnCopy(new byte[64]));
        Assert.Equal(DiagnosticCodes.WrongContextKind, error.Diagnostic.Code);
    }

    [Fact]
    public void AutoPrefersTheJitForBytecodeAndSaysSo()
    {
        var lines = new List<string>();
        using var loaded = BpfObject.Load(File.ReadAllBytes(SampleObject), new BpfLoadOptions { ReadEnvironment = false, Log = lines.Add });

        Assert.Equal("jit", loaded.EngineName);
        Assert.Contains(lines, l => l.Contains("'jit'", StringComparison.Ordinal));
    }

    [Fact]
    public void CreatesAMapOfMapsWithTheSlotsItsObjectInitialises()
    {
        // outer[0] = &inner_a in the object: the program looks up outer[0], then inner_a[0] (0); -1 if the slot were empty.
        using var loaded = BpfObject.Load(Path.Combine(TestPaths.DataDirectory, "obj", "map_in_map.bpf.o"), new BpfLoadOptions { ReadEnvironment = false });

        var outer = Assert.IsType<MapOfMaps>(loaded.Maps["outer"]);
        Assert.Same(loaded.Maps["inner_a"], outer.GetMap(0));
        Assert.Null(outer.GetMap(1));
        Assert.Equal(0UL, loaded.Programs["lookup_inner"].Run(new byte[8]));
        outer.Delete(BitConverter.GetBytes(0u));
        Assert.Equal(-1, (int)loaded.Programs["lookup_inner"].Run(new byte[8]));
    }

    [Fact]
    public void AotOnBytecodeIsRefusedWithAWayOut()
    {
        var error = Assert.Throws<BpfException>(() => BpfObject.Load(SampleObject, new BpfLoadOptions { Engine = "aot", ReadEnvironment = false }));

        Assert.Equal(DiagnosticCodes.EngineUnavailable, error.Code);
        Assert.Contains("LoadEmbedded", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownEngineListsTheRegisteredOnes()
    {
        var error = Assert.Throws<BpfException>(() => BpfObject.Load(SampleObject, new BpfLoadOptions { Engine = "turbo", ReadEnvironment = false }));

        Assert.Equal(DiagnosticCodes.UnknownEngine, error.Code);
        Assert.Contains("interpreter", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownNamesListWhatTheObjectHas()
    {
        using var loaded = BpfObject.Load(SampleObject, new BpfLoadOptions { Engine = "interpreter", ReadEnvironment = false });

        var program = Assert.Throws<BpfException>(() => loaded.Programs["nope"]);
        var map = Assert.Throws<BpfException>(() => loaded.Maps["nope"]);

        Assert.Equal(DiagnosticCodes.NameNotFound, program.Code);
        Assert.Contains("checksum", program.Message, StringComparison.Ordinal);
        Assert.Contains(".bss", map.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnAssemblyWithoutTheObjectSaysWhatItEmbeds()
    {
        var error = Assert.Throws<BpfException>(() => BpfObject.LoadEmbedded("filter", typeof(HostingTests).Assembly));

        Assert.Equal(DiagnosticCodes.EmbeddedObjectNotFound, error.Code);
        Assert.Contains("<BpfProgram>", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ProgramsOfADisposedObjectRefuseToRun()
    {
        var loaded = BpfObject.Load(SampleObject, new BpfLoadOptions { Engine = "interpreter", ReadEnvironment = false });
        var program = loaded.Programs["checksum"];
        loaded.Dispose();

        var error = Assert.Throws<BpfException>(() => program.Run(Message));

        Assert.Equal(DiagnosticCodes.UsedAfterDispose, error.Code);
    }
}
