using System.Runtime.InteropServices;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Maps;
using Bpftime.Tests.Maps;
using static Bpftime.Tests.Engines.X64.Bpf;

namespace Bpftime.Tests.Sandbox;

/// <summary>
/// A callback helper is given a value the program chose instead of one of its own functions: a libc
/// function, a helper's native entry, another program's callback entry. The host used to jump there;
/// now the run faults (BPF4040) on every engine, checked and verified alike.
/// </summary>
public sealed class ForgedCallbackTests
{
    /// <summary>bpf_loop(1, ctx[0] as the callback, null, 0); r0 = its result.</summary>
    private static Instruction[] LoopWithCallbackFromContext() => Program(
        Mov64Reg(6, 1),
        Mov64(1, 1),
        Ldx(MemorySize.DoubleWord, 2, 6, 0),
        Mov64(3, 0),
        Mov64(4, 0),
        Call(HelperIds.Loop),
        Exit());

    /// <summary>r0 = the address of the program's own callback entry (ld_imm64 src 4), which returns 0.</summary>
    private static Instruction[] ReturnsItsCallback() => Program(
        LdImm64(0, 2, src: 4),
        Exit(),
        Mov64(0, 0),
        Exit());

    public static TheoryData<string, string, bool> Cases
    {
        get
        {
            var data = new TheoryData<string, string, bool>();
            foreach (var engine in TestEngines.All)
            {
                foreach (var target in new[] { "libc getpid", "helper entry", "another program's callback" })
                {
                    data.Add(engine.Name, target, false);
                    data.Add(engine.Name, target, true);
                }
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AForgedCallbackFaults(string engine, string target, bool verified)
    {
        var helpers = StandardHelpers.CreateDefault(TraceSink.Discard);
        using var other = TestEngines.Load(engine, ReturnsItsCallback(), [], helpers, verified);
        var address = target switch
        {
            "libc getpid" => (ulong)NativeLibrary.GetExport(NativeLibrary.Load("libc.so.6"), "getpid"),
            "helper entry" => (ulong)helpers.Find(HelperIds.KtimeGetNs)!.NativeEntry,
            "another program's callback" => other.Execute(0, 0),
            _ => throw new ArgumentOutOfRangeException(nameof(target)),
        };
        Assert.NotEqual(0UL, address);
        using var program = TestEngines.Load(engine, LoopWithCallbackFromContext(), [], helpers, verified);

        var error = Assert.Throws<BpfException>(() => program.Run(BitConverter.GetBytes(address)));

        Assert.Equal(DiagnosticCodes.ForgedCallback, error.Code);
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void AForgedCallbackOfForEachFaults(string engine)
    {
        using var map = ArrayMap.Create("values", 8, 2);
        var helpers = StandardHelpers.CreateDefault(TraceSink.Discard);
        var getpid = (long)NativeLibrary.GetExport(NativeLibrary.Load("libc.so.6"), "getpid");
        var code = Program(
            MapPrograms.LoadMap(1, 0),
            LdImm64(2, getpid),
            Mov64(3, 0),
            Mov64(4, 0),
            Call(HelperIds.ForEachMapElem),
            Exit());
        using var program = TestEngines.Load(engine, code, [map], helpers);

        Assert.Equal(DiagnosticCodes.ForgedCallback, Assert.Throws<BpfException>(() => program.Execute(0, 0)).Code);
    }

    [Fact]
    public void NoProgramMeansNoCallback()
    {
        using var other = TestEngines.Load(TestEngines.All[0].Name, ReturnsItsCallback(), [], StandardHelpers.CreateDefault(TraceSink.Discard));
        var entry = other.Execute(0, 0);

        Assert.Equal(DiagnosticCodes.ForgedCallback, Assert.Throws<BpfException>(() => ProgramCallback.Invoke(entry)).Code);
    }
}
