using System.Runtime.InteropServices;
using Bpftime.Diagnostics;
using Bpftime.Helpers;
using Bpftime.Hosting;
using Bpftime.Tests.Maps;

namespace Bpftime.Tests.Hosting;

/// <summary>BpfObject.Load verifies bytecode: safe programs run unchecked, refused ones run checked (or fail the load when verification is required).</summary>
public class LoadVerificationTests
{
    [StructLayout(LayoutKind.Sequential)]
    private struct HostPacketInfo
    {
        public ulong Timestamp;
        public uint Mark;
        public uint Length;
    }

    private static readonly BpfContextType PacketInfo = new BpfContextType("packet_info", Marshal.SizeOf<HostPacketInfo>())
        .Field("timestamp", 0, 8)
        .Field("mark", 8, 4, writable: true)
        .Field("len", 12, 4);

    private static string Unsafe(string name) => Path.Combine(TestPaths.DataDirectory, "obj", "verifier", "unsafe", name + ".bpf.o");

    private static string Safe(string name) => Path.Combine(TestPaths.DataDirectory, "obj", "verifier", name + ".bpf.o");

    private static BpfLoadOptions Options(List<string> log, string engine = "interpreter") => new()
    {
        Engine = engine,
        Engines = TestEngines.Registry,
        ReadEnvironment = false,
        Helpers = StandardHelpers.CreateDefault(TraceSink.Discard),
        Log = log.Add,
    };

    [Fact]
    public void ARefusedProgramRunsCheckedAndTheLogSaysWhy()
    {
        var log = new List<string>();
        using var loaded = BpfObject.Load(Unsafe("oob_index"), Options(log) with { ContextSize = 4 });
        var program = loaded.Programs["oob_index"];
        Assert.False(program.IsVerified);
        Assert.Contains(program.VerificationDiagnostics, d => d.Code == DiagnosticCodes.VerifierUnboundedPointerArithmetic);
        var line = Assert.Single(log, l => l.Contains("runs with run-time memory checks", StringComparison.Ordinal));
        Assert.Contains("oob_index.bpf.c(", line, StringComparison.Ordinal);
        Assert.Contains("error " + DiagnosticCodes.VerifierUnboundedPointerArithmetic, line, StringComparison.Ordinal);

        // Checked: an index inside the row works, one past it faults instead of reading stray memory.
        Assert.Equal(0UL, program.Run(BitConverter.GetBytes(3u)));
        var fault = Assert.Throws<BpfException>(() => program.Run(BitConverter.GetBytes(1000u)));
        Assert.StartsWith("BPF40", fault.Diagnostic.Code, StringComparison.Ordinal);
    }

    [Fact]
    public void RequireVerificationRefusesTheLoadWithTheVerifiersDiagnostics()
    {
        var error = Assert.Throws<BpfException>(() => BpfObject.Load(Unsafe("null_deref"), Options([]) with { ContextSize = 4, RequireVerification = true }));
        var diagnostic = Assert.Single(error.Diagnostics);
        Assert.Equal(DiagnosticCodes.VerifierPossibleNullDereference, diagnostic.Code);
        Assert.EndsWith("null_deref.bpf.c", diagnostic.File, StringComparison.Ordinal);
        Assert.Equal(18, diagnostic.Line);
    }

    [Theory]
    [MemberData(nameof(TestEngines.BytecodeNames), MemberType = typeof(TestEngines))]
    public void AVerifiedProgramRunsUncheckedOnEveryEngine(string engine)
    {
        var log = new List<string>();
        using var loaded = BpfObject.Load(Safe("xdp_parse"), Options(log, engine) with { RequireVerification = true });
        Assert.All(loaded.Programs.Values, p => Assert.True(p.IsVerified));
        Assert.All(loaded.Programs.Values, p => Assert.NotNull(p.Verification));
        Assert.Contains(log, l => l.Contains("all verified", StringComparison.Ordinal));
    }

    [Fact]
    public void WithoutAContextSizeAProgramThatReadsItsContextRunsChecked()
    {
        var log = new List<string>();
        using var loaded = BpfObject.Load(Unsafe("oob_index"), Options(log));
        var program = loaded.Programs["oob_index"];
        Assert.False(program.IsVerified);
        Assert.Equal(DiagnosticCodes.VerifierInvalidContextAccess, program.VerificationDiagnostics[0].Code);
    }

    [Fact]
    public void HostContextTypesAreWhatTheVerifierChecksAgainst()
    {
        var log = new List<string>();
        using var loaded = BpfObject.Load(RealPrograms.PathOf("core_context"), Options(log) with { ContextTypes = [PacketInfo] });
        Assert.True(loaded.Programs["classify"].IsVerified);
        // tamper() writes a field the host declared read-only: refused, so it runs checked.
        var tamper = loaded.Programs["tamper"];
        Assert.False(tamper.IsVerified);
        Assert.Contains(log, l => l.Contains("'tamper' runs with run-time memory checks", StringComparison.Ordinal));
        var context = new HostPacketInfo { Timestamp = 7, Length = 150 };
        Assert.Equal(2502UL, loaded.Programs["classify"].Run(ref context, PacketInfo));
    }

    [Fact]
    public void VerifyOffSkipsTheVerifier()
    {
        var log = new List<string>();
        using var loaded = BpfObject.Load(Safe("xdp_parse"), Options(log) with { Verify = false });
        Assert.All(loaded.Programs.Values, p => Assert.False(p.IsVerified));
        Assert.All(loaded.Programs.Values, p => Assert.Null(p.Verification));
        Assert.Contains(log, l => l.Contains("verification is off", StringComparison.Ordinal));
    }

    [Fact]
    public void AVerifiedProgramRefusesLessContextThanItWasVerifiedFor()
    {
        var path = Path.Combine(TestPaths.DataDirectory, "obj", "verifier", "memcpy.bpf.o");
        using var loaded = BpfObject.Load(path, Options([]) with { ContextSize = 64 });
        var program = loaded.Programs.Values.First();
        Assert.True(program.IsVerified, string.Join("\n", program.VerificationDiagnostics));
        var error = Assert.Throws<BpfException>(() => program.Run(new byte[8]));
        Assert.Equal(DiagnosticCodes.ContextTooSmall, error.Diagnostic.Code);
        program.Run(new byte[64]);
    }
}
