using Bpftime.Compiler.Aot;
using Bpftime.Diagnostics;
using Bpftime.Helpers;
using Bpftime.Hosting;
using Bpftime.Isa;
using Bpftime.Objects;
using Bpftime.Tests.Maps;
using static Bpftime.Tests.Engines.X64.Bpf;

namespace Bpftime.Tests.Hosting;

/// <summary>
/// The (mem, len) context kind: r1 points at exactly r2 bytes. Every way in must hand the real length
/// in r2 (or be refused), and no tail call may carry a program of one contract into another's.
/// </summary>
public class MemoryWithLengthTests
{
    private static bool HasLlvm => TestEngines.All.Any(e => e.Name == BpfLoadOptions.AotEngine);

    private static byte[] Bytes(Instruction[] code)
    {
        var bytes = new byte[code.Length * 8];
        for (var i = 0; i < code.Length; i++)
        {
            code[i].Write(bytes.AsSpan(i * 8, 8));
        }
        return bytes;
    }

    private static BpfLoadOptions Options(string engine) => new()
    {
        Engine = engine,
        Engines = TestEngines.Registry,
        ReadEnvironment = false,
        MemoryWithLength = true,
    };

    /// <summary>r0 = r2: what the program is told its context's length is.</summary>
    private static readonly Instruction[] ReturnsR2 = Program(Mov64Reg(0, 2), Exit());

    /// <summary>Reads the byte at r1 + 16 (no bounds test: the verifier refuses it, so it runs checked).</summary>
    private static readonly Instruction[] ReadsByte16 = Program(Ldx(Bpftime.Isa.MemorySize.Byte, 0, 1, 16), Exit());

    [Fact]
    public void TheLoaderVerifiesForTheContractAndNotForAFixedSize()
    {
        var options = LoadVerification.OptionsFor(ProgramContext.MemoryWithLength, StandardHelpers.CreateDefault(), null);
        Assert.True(options.ContextLengthInR2);
        Assert.False(options.VariableContextLength);
        Assert.Equal(0, options.ContextSize);
        var program = new BpfProgramInfo("p", "socket", ProgramType.SocketFilter, ReturnsR2);
        Assert.Equal(BpfContextKind.MemoryWithLength, LoadVerification.ContextFor(program, null, new BpfLoadOptions { MemoryWithLength = true, ContextSize = 64 }).Kind);
        // XDP programs keep xdp_md whatever the host asks for raw memory.
        var xdp = program with { Section = "xdp", Type = ProgramType.Xdp };
        Assert.Equal(BpfContextKind.XdpFrame, LoadVerification.ContextFor(xdp, null, new BpfLoadOptions { MemoryWithLength = true }).Kind);
    }

    [Theory]
    [MemberData(nameof(TestEngines.BytecodeNames), MemberType = typeof(TestEngines))]
    public unsafe void EveryRunPassesTheRealLengthInR2(string engine)
    {
        using var loaded = BpfObject.Load(Bytes(ReturnsR2), Options(engine));
        var program = loaded.Programs.Values.Single();
        Assert.Equal(BpfContextKind.MemoryWithLength, program.ContextKind);
        Assert.Equal(0, program.ContextSize);
        Assert.Equal(37UL, program.Run(new byte[37]));
        Assert.Equal(0UL, program.Run(Span<byte>.Empty));
        Assert.Equal(0UL, program.Run());
        var value = 0L;
        Assert.Equal(8UL, program.Run(ref value));
    }

    [Theory]
    [MemberData(nameof(TestEngines.BytecodeNames), MemberType = typeof(TestEngines))]
    public void CallsOfAnotherContractAreRefused(string engine)
    {
        using var loaded = BpfObject.Load(Bytes(ReturnsR2), Options(engine));
        var program = loaded.Programs.Values.Single();
        // A declared host struct would let its size stand for a length the contract did not promise.
        var type = new BpfContextType("wide", 8);
        var value = 0L;
        Assert.Equal(DiagnosticCodes.WrongContextKind, Assert.Throws<BpfException>(() => program.Run(ref value, type)).Diagnostic.Code);
        Assert.Equal(DiagnosticCodes.WrongContextKind, Assert.Throws<BpfException>(() => program.RunXdp([1, 2, 3])).Diagnostic.Code);
    }

    [Theory]
    [MemberData(nameof(TestEngines.BytecodeNames), MemberType = typeof(TestEngines))]
    public void CheckedCodeIsBoundedByTheSpansActualLength(string engine)
    {
        using var loaded = BpfObject.Load(Bytes(ReadsByte16), Options(engine));
        var program = loaded.Programs.Values.Single();
        Assert.False(program.IsVerified);
        Assert.Equal(BpfContextKind.MemoryWithLength, program.ContextKind);
        var buffer = new byte[17];
        buffer[16] = 0x5a;
        Assert.Equal(0x5aUL, program.Run(buffer));
        // One byte short: r2 says 16 and the checks hold the program to it.
        var fault = Assert.Throws<BpfException>(() => { program.Run(new byte[16]); });
        Assert.StartsWith("BPF40", fault.Diagnostic.Code, StringComparison.Ordinal);
    }

    /// <summary>Native code as the build writes it: every program unchecked and proved, for the (mem, len) contract or for 16 raw bytes.</summary>
    private static BpfObject LoadTailDispatch(bool dispatchWithLength, bool handlersWithLength, bool dispatchProved = true)
    {
        Assert.True(HasLlvm, "these tests compile native code and need libLLVM");
        var path = RealPrograms.PathOf("tail_dispatch");
        var bytes = File.ReadAllBytes(path);
        var file = ObjectReader.Read(bytes, path);
        var compilation = AotCompilation.FromObject(file, StandardHelpers.CreateDefault(TraceSink.Discard), bytes) with
        {
            Programs = [.. file.Programs.Select(p =>
            {
                var withLength = p.Name == "dispatch" ? dispatchWithLength : handlersWithLength;
                var proved = p.Name != "dispatch" || dispatchProved;
                return new AotProgramSource(p.Name, p.ToArray())
                {
                    Section = p.Section,
                    Verified = proved,
                    Proved = proved,
                    ContextSize = withLength ? null : 16,
                    ContextLengthInR2 = withLength,
                };
            })],
        };
        return BpfObject.Load(AotCompiler.Compile(compilation).Bytes, HostingEngines.Options(HostingEngines.Native), "tail_dispatch");
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void ATailCallCannotCarryAProgramIntoAnotherContract(bool dispatchWithLength, bool handlersWithLength)
    {
        // (mem, len) into 16 raw bytes: a 4-byte span would meet a handler that reads 16 unchecked.
        // 16 raw bytes into (mem, len): the kinds differ, and only equal kinds are proved to fit.
        using var loaded = LoadTailDispatch(dispatchWithLength, handlersWithLength);
        var handlers = loaded.Maps["handlers"].AsProgramArray();
        var error = Assert.Throws<BpfException>(() => handlers.Set(0, loaded.Programs["double_it"]));
        Assert.Equal(DiagnosticCodes.InvalidTailCallTarget, error.Diagnostic.Code);
    }

    [Fact]
    public void NativeCodeRecordsTheContractAndTailCallsWithinItAreAccepted()
    {
        using var loaded = LoadTailDispatch(dispatchWithLength: true, handlersWithLength: true);
        Assert.All(loaded.Programs.Values, p => Assert.Equal(BpfContextKind.MemoryWithLength, p.ContextKind));
        Assert.Equal(0, loaded.Maps["handlers"].AsProgramArray().Set(0, loaded.Programs["double_it"]));
        // A checked dispatcher of the same contract may hand on to a proved handler: r2 stays the span's length.
        using var checkedCaller = LoadTailDispatch(dispatchWithLength: true, handlersWithLength: true, dispatchProved: false);
        Assert.False(checkedCaller.Programs["dispatch"].IsVerified);
        Assert.Equal(0, checkedCaller.Maps["handlers"].AsProgramArray().Set(0, checkedCaller.Programs["double_it"]));
    }

    [Fact]
    public void TheNativeMetadataRoundTripsTheContract()
    {
        Assert.True(HasLlvm, "these tests compile native code and need libLLVM");
        var compiled = AotCompiler.Compile(new AotCompilation
        {
            Programs = [new AotProgramSource("len", ReturnsR2) { Verified = true, Proved = true, ContextSize = 64, ContextLengthInR2 = true }],
            Helpers = StandardHelpers.CreateDefault(),
        });
        var recorded = Bpftime.Linking.Native.AotLinker.ReadMetadata(compiled.Bytes)!.Programs.Single();
        Assert.True(recorded.ContextLengthInR2);
        Assert.Null(recorded.ContextSize);
        using var loaded = BpfObject.Load(compiled.Bytes, new BpfLoadOptions { ReadEnvironment = false });
        var program = loaded.Programs["len"];
        Assert.True(program.IsVerified);
        Assert.Equal(BpfContextKind.MemoryWithLength, program.ContextKind);
        Assert.Equal(5UL, program.Run(new byte[5]));
    }
}
