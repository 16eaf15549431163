using System.Text;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Maps;
using Bpftime.Tests.Maps;
using static Bpftime.Tests.Engines.X64.Bpf;

namespace Bpftime.Tests.Sandbox;

/// <summary>
/// %s is the one helper argument the verifier cannot type: a verified program may pass any number.
/// In the "default" set it reads only memory the program owns (context, stack, map values, .rodata)
/// and faults otherwise, on every engine, verified or not; the "tracing" set reads any address.
/// </summary>
public sealed unsafe class FormatStringTests
{
    /// <summary>"%s" at r10-24, "ok" at r10-16; trace_printk("%s", 3, argument).</summary>
    private static Instruction[] PrintString(Argument argument) => Program(
        Mov64Reg(6, 1),
        St(MemorySize.DoubleWord, 10, -8, 0),
        St(MemorySize.DoubleWord, 10, -16, 0x6b6f),
        St(MemorySize.DoubleWord, 10, -24, 0x7325),
        argument.Load(3),
        Mov64Reg(1, 10),
        Alu64(AluOperation.Add, 1, -24),
        Mov64(2, 3),
        Call(HelperIds.TracePrintk),
        Exit());

    public static TheoryData<string, bool> EnginesBothWays
    {
        get
        {
            var data = new TheoryData<string, bool>();
            foreach (var engine in TestEngines.All)
            {
                data.Add(engine.Name, false);
                data.Add(engine.Name, true);
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(EnginesBothWays))]
    public void PercentSOfHostMemoryFaultsInTheDefaultSet(string engine, bool verified)
    {
        using var host = new HostBuffer();
        host.WriteString("secret");
        var lines = new List<string>();
        using var program = TestEngines.Load(engine, PrintString(Argument.Of(host.Address)), [], StandardHelpers.CreateDefault(TraceSink.ToDelegate(lines.Add)), verified);

        var error = Assert.Throws<BpfException>(() => program.Run(new byte[8]));

        Assert.Equal(DiagnosticCodes.UnknownMemoryAccess, error.Code);
        Assert.Contains("tracing", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(lines, line => line.Contains("secret", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(EnginesBothWays))]
    public void TheTracingSetReadsAnyAddress(string engine, bool verified)
    {
        using var host = new HostBuffer();
        host.WriteString("secret");
        var lines = new List<string>();
        using var program = TestEngines.Load(engine, PrintString(Argument.Of(host.Address)), [], StandardHelpers.CreateTracing(TraceSink.ToDelegate(lines.Add)), verified);

        program.Run(new byte[8]);

        Assert.Equal(["secret"], lines);
    }

    [Theory]
    [MemberData(nameof(EnginesBothWays))]
    public void PercentSOfTheProgramsOwnMemoryPrints(string engine, bool verified)
    {
        using var rodata = ArrayMap.Create("rodata", 16, 1, readOnlyForPrograms: true);
        Assert.Equal(0, rodata.Update(0, Encoding.ASCII.GetBytes("ro\0\0\0\0\0\0\0\0\0\0\0\0\0\0"), 0));
        var lines = new List<string>();
        var helpers = StandardHelpers.CreateDefault(TraceSink.ToDelegate(lines.Add));
        var context = Encoding.ASCII.GetBytes("ctx\0\0\0\0\0");
        foreach (var argument in new[] { Argument.Stack(-16), Argument.Context(0), Argument.InValue(0, 0) })
        {
            using var program = TestEngines.Load(engine, PrintString(argument), [rodata], helpers, verified);
            program.Run(context);
        }

        Assert.Equal(["ok", "ctx", "ro"], lines);
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void AVerifiedHelperCallCannotWriteReadOnlyMapValues(string engine)
    {
        using var rodata = ArrayMap.Create("rodata", 16, 1, readOnlyForPrograms: true);
        using var program = TestEngines.Load(engine, HostileCall.Program(HelperIds.GetCurrentComm, Argument.InValue(0, 0), Argument.Of(16)), [rodata], StandardHelpers.CreateDefault(TraceSink.Discard), verified: true);

        Assert.Equal(DiagnosticCodes.WriteToReadOnlyMemory, Assert.Throws<BpfException>(() => program.Run(new byte[8])).Code);
        Assert.True(new ReadOnlySpan<byte>((void*)rodata.Lookup(0), 16).IndexOfAnyExcept((byte)0) < 0, ".rodata changed");
    }
}
