using System.Buffers.Binary;
using Bpftime.Diagnostics;
using Bpftime.Engines.Aot;
using Bpftime.Helpers;
using Bpftime.Linking.Native;
using Bpftime.Objects;

namespace Bpftime.Runtime.Tests.Engines.Aot;

public class AotLinkerRefusalTests
{
    private static BpfDiagnostic Refused(string name, string code, params OneValueMap[] maps)
    {
        var error = Assert.Throws<BpfException>(() => AotTestObjects.Link(name, maps).Dispose());
        var diagnostic = error.Diagnostics.FirstOrDefault(d => d.Code == code);
        Assert.True(diagnostic is not null, $"expected {code}, got: {string.Join(" | ", error.Diagnostics)}");
        Assert.Equal(DiagnosticSeverity.Error, diagnostic!.Severity);
        Assert.Equal(name, diagnostic.File);
        return diagnostic;
    }

    [Fact]
    public void UnknownHelperIsNamedWithItsId()
    {
        var diagnostic = Refused("unknown_helper.o", DiagnosticCodes.LinkUnknownHelper);
        Assert.Contains("#99", diagnostic.Message);
        Assert.Contains("_bpf_helper_ext_0099", diagnostic.Message);
        Assert.Contains("aot-tests", diagnostic.Message);
    }

    [Fact]
    public void HelperMissingFromTheActiveSetIsRefusedEvenWithMetadata()
    {
        var helpers = new HelperTable("small", AotTestObjects.Helpers().Where(h => h.Id != 2));
        var error = Assert.Throws<BpfException>(() =>
            AotLinker.Link(AotTestObjects.Read("helpers_meta.o"), new AotLinkOptions { Helpers = helpers }));
        Assert.Contains(error.Diagnostics, d => d.Code == DiagnosticCodes.LinkUnknownHelper && d.Message.Contains("#2") && d.Program == "helpers");
    }

    [Fact]
    public void HelperSignatureMismatchNamesBothSignatures()
    {
        var diagnostic = Refused("helpers_badsig.o", DiagnosticCodes.LinkHelperSignatureMismatch);
        Assert.Contains("#1", diagnostic.Message);
        Assert.Contains("i64(map,key)", diagnostic.Message);
        Assert.Contains("i64(scalar,scalar)", diagnostic.Message);
        Assert.Equal("helpers", diagnostic.Program);
    }

    [Fact]
    public void HelperCompiledToStopOnZeroMustStopInTheActiveSet()
    {
        var diagnostic = Refused("helpers_stopmismatch.o", DiagnosticCodes.LinkHelperSignatureMismatch);
        Assert.Contains("#1", diagnostic.Message);
        Assert.Contains("returns 0", diagnostic.Message);
    }

    [Fact]
    public void MapValueSizeMismatchNamesTheMapAndTheField()
    {
        using var map = new OneValueMap("totals");
        var diagnostic = Refused("maps_badvalue.o", DiagnosticCodes.LinkMapLayoutMismatch, map);
        Assert.Contains("'totals'", diagnostic.Message);
        Assert.Contains("value_size is 16 in the object but 8", diagnostic.Message);
    }

    [Fact]
    public void MapTypeMismatchNamesTheField()
    {
        using var map = new OneValueMap("totals", type: MapType.Hash);
        var diagnostic = Refused("maps_meta.o", DiagnosticCodes.LinkMapLayoutMismatch, map);
        Assert.Contains("type is 2 in the object but 1", diagnostic.Message);
    }

    [Fact]
    public void MissingMapIsNamed()
    {
        Assert.Contains("'totals'", Refused("maps_meta.o", DiagnosticCodes.LinkMapMissing).Message);
        Assert.Contains("refers to map 0, but the runtime provides 0 maps", Refused("maps.o", DiagnosticCodes.LinkMapMissing).Message);
    }

    [Fact]
    public void MapWithoutADirectValueCannotBindAValueSymbol()
    {
        using var map = new OneValueMap("totals") { HasDirectValue = false };
        var diagnostic = Refused("maps.o", DiagnosticCodes.LinkMapValueUnavailable, map);
        Assert.Contains("_bpf_map_value_0", diagnostic.Message);
        Assert.Contains("'totals'", diagnostic.Message);
    }

    [Fact]
    public void AnotherArchitectureIsRefusedClearly()
    {
        var diagnostic = Refused("helpers_aarch64.o", DiagnosticCodes.NativeObjectTargetMismatch);
        Assert.Contains("aarch64", diagnostic.Message);
        Assert.Contains("x86_64", diagnostic.Message);
    }

    [Fact]
    public void MetadataTripleForAnotherArchitectureIsRefused()
    {
        var diagnostic = Refused("helpers_aarch64_triple.o", DiagnosticCodes.NativeObjectTargetMismatch);
        Assert.Contains("aarch64-unknown-linux-gnu", diagnostic.Message);
    }

    [Fact]
    public void StackOverTheLimitNamesTheProgram()
    {
        var diagnostic = Refused("helpers_bigstack.o", DiagnosticCodes.LinkStackTooLarge);
        Assert.Equal("helpers", diagnostic.Program);
        Assert.Contains("1024", diagnostic.Message);
        Assert.Contains("512", diagnostic.Message);
    }

    [Fact]
    public void CallDepthOverTheLimitNamesTheProgram()
    {
        var diagnostic = Refused("helpers_deepcalls.o", DiagnosticCodes.LinkCallDepthTooLarge);
        Assert.Equal("helpers", diagnostic.Program);
        Assert.Contains("9", diagnostic.Message);
    }

    [Fact]
    public void ProgramWhoseSymbolIsMissingIsNamed()
    {
        var diagnostic = Refused("helpers_nosymbol.o", DiagnosticCodes.LinkProgramSymbolInvalid);
        Assert.Equal("other", diagnostic.Program);
        Assert.Contains("no_such_entry", diagnostic.Message);
    }

    [Fact]
    public void MetadataOfAnotherFormatOrNotJsonIsRefused()
    {
        Refused("helpers_format2.o", DiagnosticCodes.AotMetadataFormatUnsupported);
        Refused("helpers_badjson.o", DiagnosticCodes.AotMetadataInvalid);
    }

    [Fact]
    public void MetadataCanBeRequired()
    {
        var options = new AotLinkOptions { Helpers = AotTestObjects.Helpers(), RequireMetadata = true };
        Assert.Equal(DiagnosticCodes.LinkMetadataRequired, Assert.Throws<BpfException>(() => AotLinker.Link(AotTestObjects.Read("helpers.o"), options)).Code);
        AotLinker.Link(AotTestObjects.Read("helpers_meta.o"), options).Dispose();
    }

    [Fact]
    public void SourceHashMustMatchWhenExpected()
    {
        const string hash = "sha256:0f3c1bd5a2f1c6d1f0e2a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8";
        var options = new AotLinkOptions { Helpers = AotTestObjects.Helpers(), ExpectedSourceHash = "sha256:00" };
        var error = Assert.Throws<BpfException>(() => AotLinker.Link(AotTestObjects.Read("helpers_meta.o"), options));
        Assert.Equal(DiagnosticCodes.LinkSourceHashMismatch, error.Code);
        Assert.Contains(hash, error.Message);
        AotLinker.Link(AotTestObjects.Read("helpers_meta.o"), options with { ExpectedSourceHash = hash }).Dispose();
    }

    [Fact]
    public void UnresolvedSymbolIsNamed()
    {
        Assert.Contains("host_function_not_provided", Refused("unresolved.o", DiagnosticCodes.LinkUnresolvedSymbol).Message);
    }

    [SkippableFact]
    public void NonPicReferenceToAMapHandleAboveFourGiBIsOutOfRange()
    {
        using var map = new OneValueMap("totals");
        Skip.If((ulong)map.Handle <= uint.MaxValue, "the map handle happens to lie below 4 GiB, so a 32-bit reference to it fits");
        var diagnostic = Refused("nopic_map.o", DiagnosticCodes.LinkRelocationOutOfRange, map);
        Assert.Contains("_bpf_map_handle_0", diagnostic.Message);
        Assert.Contains("-fPIC", diagnostic.Message);
    }

    [Fact]
    public void TruncatedObjectIsMalformed()
    {
        var bytes = AotTestObjects.Read("helpers.o");
        foreach (var length in new[] { 40, 64, 200, bytes.Length / 2, bytes.Length - 1 })
        {
            var error = Assert.Throws<BpfException>(() => AotLinker.Link(bytes.AsSpan(0, length), new AotLinkOptions { Helpers = AotTestObjects.Helpers() }));
            Assert.Equal(DiagnosticCodes.NativeObjectMalformed, error.Code);
        }
    }

    [Fact]
    public void CorruptedSectionTableIsMalformed()
    {
        var bytes = AotTestObjects.Read("helpers.o");
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(0x28), (ulong)bytes.Length - 10); // e_shoff near the end
        var error = Assert.Throws<BpfException>(() => AotLinker.Link(bytes, new AotLinkOptions { Helpers = AotTestObjects.Helpers() }));
        Assert.Equal(DiagnosticCodes.NativeObjectMalformed, error.Code);
        Assert.Contains("section header table", error.Message);
    }

    [Fact]
    public void BytesThatAreNotAnElfRelocatableAreRefused()
    {
        var options = new AotLinkOptions { Helpers = AotTestObjects.Helpers() };
        Assert.Equal(DiagnosticCodes.NativeObjectNotRelocatable, Assert.Throws<BpfException>(() => AotLinker.Link("hello"u8, options)).Code);
        var executable = AotTestObjects.Read("helpers.o");
        executable[16] = 2; // ET_EXEC
        Assert.Equal(DiagnosticCodes.NativeObjectNotRelocatable, Assert.Throws<BpfException>(() => AotLinker.Link(executable, options)).Code);
    }
}
