using Bpftime.Verification;
using Xunit.Abstractions;

namespace Bpftime.Tests.Verification;

/// <summary>Every program of the unsafe catalogue is refused with its code at its instruction.</summary>
public sealed class UnsafeProgramTests(ITestOutputHelper output)
{
    [Fact]
    public void TheCatalogueIsLarge()
    {
        Assert.True(UnsafeProgramCatalogue.All.Count >= 80, $"{UnsafeProgramCatalogue.All.Count} cases");
        Assert.Equal(UnsafeProgramCatalogue.All.Count, UnsafeProgramCatalogue.All.Select(c => c.Name).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(UnsafeProgramCatalogue.Names), MemberType = typeof(UnsafeProgramCatalogue))]
    public void IsRefused(string name)
    {
        var unsafeCase = UnsafeProgramCatalogue.Find(name);
        var code = VerifierKit.Assemble(unsafeCase.Source);
        var result = BpfVerifier.Verify(code, VerifierKit.Maps, unsafeCase.Options, unsafeCase.Type, name);
        output.WriteLine(VerifierKit.Explain(result));
        var diagnostic = VerifierKit.AssertRefused(result, unsafeCase.Code, unsafeCase.Instruction);
        Assert.Equal(name, diagnostic.Program);
        Assert.False(string.IsNullOrWhiteSpace(diagnostic.Message));
    }
}
