using System.Text;
using Bpftime.Compiler.Aot;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.Aot;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Linking.Native;
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

    /// <summary>
    /// The top slot of the frame holds eight non-NUL bytes and "%s" prints from there: the string runs
    /// off the end of the program's frames into whatever lies above (on native code, the engine's saved
    /// registers and return addresses). Verified or not, exactly the program's own eight bytes print.
    /// </summary>
    [Theory]
    [MemberData(nameof(EnginesBothWays))]
    public void APercentSStringEndsWithTheProgramsFrames(string engine, bool verified)
    {
        var code = Program(
            LdImm64(1, 0x4141414141414141),
            Stx(MemorySize.DoubleWord, 10, 1, -8),
            St(MemorySize.DoubleWord, 10, -16, 0x7325),
            Mov64Reg(3, 10),
            Alu64(AluOperation.Add, 3, -8),
            Mov64Reg(1, 10),
            Alu64(AluOperation.Add, 1, -16),
            Mov64(2, 3),
            Call(HelperIds.TracePrintk),
            Mov64(0, 0),
            Exit());
        var lines = new List<string>();
        using var program = TestEngines.Load(engine, code, [], StandardHelpers.CreateDefault(TraceSink.ToDelegate(lines.Add)), verified);

        program.Run(new byte[8]);

        Assert.True(lines is ["AAAAAAAA"], $"printed: {string.Join(" | ", lines.Select(l => Convert.ToHexString(Encoding.Latin1.GetBytes(l))))}");
    }

    /// <summary>
    /// The same inside a bpf_loop callback: its own frame's string prints, and only up to the end of
    /// the callback's frames.
    /// </summary>
    [Theory]
    [MemberData(nameof(EnginesBothWays))]
    public void APercentSStringInACallbackEndsWithItsFrames(string engine, bool verified)
    {
        var code = Program(
            Mov64(1, 1),                                // 0: one iteration
            LdImm64(2, 6, src: 4),                      // 1-2: the callback at 1 + 1 + 6 = 8
            Mov64(3, 0),                                // 3
            Mov64(4, 0),                                // 4
            Call(HelperIds.Loop),                       // 5
            Mov64(0, 0),                                // 6
            Exit(),                                     // 7
            LdImm64(1, 0x4141414141414141),             // 8-9: the callback
            Stx(MemorySize.DoubleWord, 10, 1, -8),
            St(MemorySize.DoubleWord, 10, -16, 0x7325),
            Mov64Reg(3, 10),
            Alu64(AluOperation.Add, 3, -8),
            Mov64Reg(1, 10),
            Alu64(AluOperation.Add, 1, -16),
            Mov64(2, 3),
            Call(HelperIds.TracePrintk),
            Mov64(0, 1),
            Exit());
        var lines = new List<string>();
        using var program = TestEngines.Load(engine, code, [], StandardHelpers.CreateDefault(TraceSink.ToDelegate(lines.Add)), verified);

        program.Run(new byte[8]);

        Assert.True(lines is ["AAAAAAAA"], $"printed: {string.Join(" | ", lines.Select(l => Convert.ToHexString(Encoding.Latin1.GetBytes(l))))}");
    }

    /// <summary>Verified native code from before run-state version 3 records no frames, so helpers could not bound %s: the linker refuses it.</summary>
    [Fact]
    public void TheLinkerRefusesVerifiedCodeThatDoesNotRecordItsFrames()
    {
        if (!TestEngines.All.Any(e => e.Name == "aot"))
        {
            return; // no libLLVM here to compile the object
        }
        var helpers = StandardHelpers.CreateDefault(TraceSink.Discard);
        var compiled = AotCompiler.Compile(new AotCompilation
        {
            Programs = [new AotProgramSource("print", PrintString(Argument.Stack(-16))) { Verified = true }],
            Helpers = helpers,
        });
        var options = new AotLinkOptions { Helpers = helpers };
        using (var module = AotLinker.Link(compiled.Bytes, options))
        {
            Assert.False(module.IsChecked("print"));
        }
        // The same object as the previous compiler described it: verified, run-state version 2.
        var bytes = compiled.Bytes.ToArray();
        var marker = Encoding.UTF8.GetBytes($"\"checked_abi\":{AotCheckedAbi.Version}");
        var at = bytes.AsSpan().IndexOf(marker);
        Assert.True(at >= 0, "the metadata records the run-state version of verified code too");
        bytes[at + marker.Length - 1] = (byte)'2';
        var error = Assert.Throws<BpfException>(() => AotLinker.Link(bytes, options).Dispose());
        Assert.Contains(error.Diagnostics, d => d.Message.Contains("run-state version 2", StringComparison.Ordinal));
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
