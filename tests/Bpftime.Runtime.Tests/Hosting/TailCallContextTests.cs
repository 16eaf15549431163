using System.Runtime.InteropServices;
using Bpftime.Compiler.Aot;
using Bpftime.Diagnostics;
using Bpftime.Helpers;
using Bpftime.Hosting;
using Bpftime.Objects;
using Bpftime.Tests.Maps;

namespace Bpftime.Tests.Hosting;

/// <summary>
/// A tail call hands r1 and r2 on unchanged, so a target that reads its context unchecked may only
/// follow callers whose runs guarantee that context: otherwise a checked dispatcher run on 4 bytes
/// would enter a handler proved for 16 and write past the host's buffer.
/// </summary>
public class TailCallContextTests
{
    [StructLayout(LayoutKind.Sequential)]
    private struct Request
    {
        public uint Op;
        public uint Arg;
        public ulong Result;
    }

    /// <summary>tail_dispatch as native code: dispatch checked or proved, the handlers proved for 16 bytes.</summary>
    private static BpfObject LoadNative(bool dispatchProved)
    {
        Assert.True(TestEngines.All.Any(e => e.Name == BpfLoadOptions.AotEngine), "these tests compile native code and need libLLVM");
        var path = RealPrograms.PathOf("tail_dispatch");
        var bytes = File.ReadAllBytes(path);
        var file = ObjectReader.Read(bytes, path);
        var helpers = StandardHelpers.CreateDefault(TraceSink.Discard);
        var compilation = AotCompilation.FromObject(file, helpers, bytes) with
        {
            Programs = [.. file.Programs.Select(p => new AotProgramSource(p.Name, p.ToArray())
            {
                Section = p.Section,
                Verified = p.Name != "dispatch" || dispatchProved,
                Proved = p.Name != "dispatch" || dispatchProved,
                ContextSize = 16,
            })],
        };
        return BpfObject.Load(AotCompiler.Compile(compilation).Bytes, HostingEngines.Options(HostingEngines.Native), "tail_dispatch");
    }

    [Fact]
    public void AnUncheckedTargetCannotFollowACallerThatGuaranteesLessContext()
    {
        using var loaded = LoadNative(dispatchProved: false);
        Assert.False(loaded.Programs["dispatch"].IsVerified);
        Assert.True(loaded.Programs["double_it"].IsVerified);
        var handlers = loaded.Maps["handlers"].AsProgramArray();

        var error = Assert.Throws<BpfException>(() => handlers.Set(0, loaded.Programs["double_it"]));
        Assert.Equal(DiagnosticCodes.InvalidTailCallTarget, error.Diagnostic.Code);
        Assert.Contains("'dispatch'", error.Message, StringComparison.Ordinal);
        // The map's own update names programs by index: the same rule.
        Assert.Equal(DiagnosticCodes.InvalidTailCallTarget,
            Assert.Throws<BpfException>(() => loaded.Maps["handlers"].Update(BitConverter.GetBytes(0U), BitConverter.GetBytes(1U), 0)).Diagnostic.Code);

        // With the slot empty, a 4-byte run of the checked dispatcher ends at its fall-through.
        Assert.Equal(0xdeadUL, loaded.Programs["dispatch"].Run(new byte[4]));
    }

    [Fact]
    public void TargetsProvedForTheCallersContextAreAccepted()
    {
        using var loaded = LoadNative(dispatchProved: true);
        var handlers = loaded.Maps["handlers"].AsProgramArray();
        Assert.Equal(0, handlers.Set(0, loaded.Programs["double_it"]));
        var request = new Request { Op = 0, Arg = 21 };
        Assert.Equal(1UL, loaded.Programs["dispatch"].Run(ref request));
        Assert.Equal(42UL, request.Result);
    }
}
