using System.Text;
using System.Text.Json.Nodes;
using Bpftime.Diagnostics;
using Bpftime.Engines.Aot;
using Bpftime.Hosting;
using Bpftime.Tests.Maps;

namespace Bpftime.Tests.Hosting;

/// <summary>
/// Native code without run-time checks is verified only when the build's verifier proved it; code
/// compiled unchecked on the user's word is trusted, which RequireVerification refuses.
/// </summary>
public class NativeTrustTests
{
    private static string Memcpy => Path.Combine(TestPaths.DataDirectory, "obj", "verifier", "memcpy.bpf.o");

    private static bool HasLlvm => TestEngines.All.Any(e => e.Name == BpfLoadOptions.AotEngine);

    [Fact]
    public void TrustedUncheckedCodeIsNotVerifiedAndRequireVerificationRefusesIt()
    {
        Assert.True(HasLlvm, "these tests compile native code and need libLLVM");
        var trusted = HostingEngines.Compile(Memcpy, contextSize: 64, proved: false, runsUnchecked: true);
        using (var loaded = BpfObject.Load(trusted, HostingEngines.Options(HostingEngines.Native)))
        {
            var program = loaded.Programs["memcpy_prog"];
            Assert.False(program.IsVerified);
            Assert.True(program.IsTrustedUnchecked);
            // Trusted code runs unchecked, so it keeps the size it was built for.
            Assert.Equal(DiagnosticCodes.ContextTooSmall, Assert.Throws<BpfException>(() => program.Run(new byte[8])).Diagnostic.Code);
        }
        var error = Assert.Throws<BpfException>(() => BpfObject.Load(trusted, HostingEngines.Options(HostingEngines.Native) with { RequireVerification = true }));
        Assert.Equal(DiagnosticCodes.NativeProgramTrustedNotProved, error.Diagnostic.Code);
        Assert.Contains("memcpy_prog", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ProvedCodeIsVerifiedAndCheckedCodeIsNeither()
    {
        Assert.True(HasLlvm, "these tests compile native code and need libLLVM");
        var proved = HostingEngines.Compile(Memcpy, contextSize: 64, proved: true, runsUnchecked: true);
        using (var loaded = BpfObject.Load(proved, HostingEngines.Options(HostingEngines.Native) with { RequireVerification = true }))
        {
            var program = loaded.Programs["memcpy_prog"];
            Assert.True(program.IsVerified);
            Assert.False(program.IsTrustedUnchecked);
            Assert.Equal(64, program.ContextSize);
        }
        var checkedCode = HostingEngines.Compile(Memcpy, contextSize: 64, proved: false, runsUnchecked: false);
        using (var loaded = BpfObject.Load(checkedCode, HostingEngines.Options(HostingEngines.Native)))
        {
            var program = loaded.Programs["memcpy_prog"];
            Assert.False(program.IsVerified);
            Assert.False(program.IsTrustedUnchecked);
            // Checked code checks every access itself: a short buffer is the engine's business (a fault, not stray reads).
            Assert.StartsWith("BPF40", Assert.Throws<BpfException>(() => program.Run(new byte[8])).Diagnostic.Code, StringComparison.Ordinal);
        }
        Assert.Equal(DiagnosticCodes.NativeProgramNotVerified,
            Assert.Throws<BpfException>(() => BpfObject.Load(checkedCode, HostingEngines.Options(HostingEngines.Native) with { RequireVerification = true })).Diagnostic.Code);
    }

    [Fact]
    public void MetadataWithoutTheProofFieldReadsAsNotProved()
    {
        // An object written before the field existed: unchecked, with no word on a proof.
        var current = new AotMetadata
        {
            Triple = "x86_64-unknown-linux-gnu",
            Programs = [new AotProgram { Name = "p", Symbol = "p", Proved = true, ContextSize = 16 }],
        };
        var json = JsonNode.Parse(current.ToJsonBytes())!;
        var program = json["programs"]![0]!.AsObject();
        Assert.True(program.Remove("proved"));
        Assert.True(program.Remove("context_size"));
        var older = AotMetadata.FromJson(Encoding.UTF8.GetBytes(json.ToJsonString()));
        Assert.False(older.Programs[0].Proved);
        Assert.Null(older.Programs[0].ContextSize);
        Assert.False(older.Programs[0].Checked);
        Assert.True(AotMetadata.FromJson(current.ToJsonBytes()).Programs[0].Proved);
    }
}
