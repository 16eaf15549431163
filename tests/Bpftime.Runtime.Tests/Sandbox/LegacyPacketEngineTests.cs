using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Helpers;
using Bpftime.Hosting;
using Bpftime.Isa;
using Bpftime.Objects;
using Bpftime.Tests.Maps;
using Bpftime.Verification;
using static Bpftime.Tests.Engines.X64.Bpf;

namespace Bpftime.Tests.Sandbox;

/// <summary>
/// ld_abs / ld_ind read the socket buffer r6 points to; no engine here runs one, so every engine refuses
/// them when loading (BPF4057, naming the instruction and what to use instead), checked or marked verified:
/// nothing runs, so nothing can read through a context that is not a socket buffer.
/// </summary>
public class LegacyPacketEngineTests
{
    public static TheoryData<string, bool, int> Cases()
    {
        var data = new TheoryData<string, bool, int>();
        foreach (var engine in TestEngines.All)
        {
            foreach (var verified in new[] { false, true })
            {
                for (var program = 0; program < Programs.Length; program++)
                {
                    data.Add(engine.Name, verified, program);
                }
            }
        }
        return data;
    }

    /// <summary>Offsets a host read would need: far past any buffer, negative, and from a register the program controls.</summary>
    private static readonly Instruction[][] Programs =
    [
        [Mov64Reg(6, 1), new Instruction(0x20, 0, 0, 0, 0x7fff_fff0), Exit()],
        [Mov64Reg(6, 1), new Instruction(0x30, 0, 0, 0, -0x200000), Exit()],
        [Mov64Reg(6, 10), Mov64(7, 4096), new Instruction(0x48, 0, 7, 0, 0), Exit()],
        [Mov64(6, 0), .. LdImm64(7, unchecked((long)0xffff_8000_0000_0000)), new Instruction(0x50, 0, 7, 0, 16), Mov64(0, 1), Exit()],
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryEngineRefusesThemAtLoad(string engine, bool verified, int program)
    {
        var code = Programs[program];
        var image = new ProgramImage("legacy", code, StandardHelpers.CreateDefault()) { Verified = verified };
        var error = Assert.Throws<BpfException>(() => TestEngines.Get(engine).Load(image, EngineOptions.Default));
        Assert.Equal(DiagnosticCodes.LegacyPacketLoadUnsupported, error.Code);
        var legacy = Array.FindIndex(code, ProgramValidator.IsLegacyPacketLoad);
        Assert.Equal(legacy, error.Diagnostic.InstructionIndex);
        Assert.Contains("data_end", error.Diagnostic.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, bool> BytecodeEnginesVerifiedOrNot()
    {
        var data = new TheoryData<string, bool>();
        foreach (var engine in TestEngines.All.Where(e => e.Name != BpfLoadOptions.AotEngine))
        {
            data.Add(engine.Name, true);
            data.Add(engine.Name, false);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(BytecodeEnginesVerifiedOrNot))]
    public void AVerifiedSocketFilterIsRefusedWhenLoaded(string engine, bool verify)
    {
        // tests/data/c/legacy_packet: clang's load_byte/load_half builtins. The verifier accepts the filter, as Linux would.
        var path = Path.Combine(TestPaths.DataDirectory, "obj", "legacy_packet", "socket_filter.bpf.o");
        var file = ObjectReader.ReadFile(path);
        Assert.Equal(ProgramType.SocketFilter, file.Programs[0].Type);
        Assert.True(BpfVerifier.Verify(file.Programs[0], file.Maps, new VerifierOptions()).Passed);

        var options = new BpfLoadOptions { Engine = engine, Engines = TestEngines.Registry, ReadEnvironment = false, Verify = verify };
        var error = Assert.Throws<BpfException>(() => BpfObject.Load(path, options));
        Assert.Equal(DiagnosticCodes.LegacyPacketLoadUnsupported, error.Code);
        Assert.Equal(2, error.Diagnostic.InstructionIndex);
        Assert.Contains("ld_abs (2 bytes at packet offset 12)", error.Diagnostic.Message, StringComparison.Ordinal);
    }
}
