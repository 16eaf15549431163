using System.Buffers.Binary;
using Bpftime.Diagnostics;
using Bpftime.Hosting;
using Bpftime.Tests.Maps;

namespace Bpftime.Tests.Hosting;

/// <summary>
/// .rodata set by the host before the load (BpfLoadOptions.ReadOnlyData). rodata_config's pick
/// indexes a 4-entry .bss table with settings.slot (2 when compiled): safe only because the verifier
/// takes .rodata as constants, so new bytes must be verified, on every engine, native code included.
/// </summary>
public class HostReadOnlyDataTests
{
    private static string RodataConfig => RealPrograms.PathOf("rodata_config");

    private static bool HasLlvm => TestEngines.All.Any(e => e.Name == BpfLoadOptions.AotEngine);

    /// <summary>struct settings { __u32 slot; __u32 rounds; } as the C source lays it out.</summary>
    private static byte[] Settings(uint slot, uint rounds)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, slot);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), rounds);
        return bytes;
    }

    private static BpfLoadOptions WithSettings(string engine, uint slot, uint rounds = 10) =>
        HostingEngines.Options(engine) with { ReadOnlyData = new BpfReadOnlyData().Set(".rodata", Settings(slot, rounds)) };

    /// <summary>
    /// Loads rodata_config on <paramref name="engine"/>; "native" is the object as the build embeds it:
    /// the bytecode and its native code, unchecked and proved for the compiled-in .rodata unless
    /// <paramref name="nativeChecked"/>.
    /// </summary>
    private static BpfObject Load(string engine, BpfLoadOptions options, bool nativeChecked = false)
    {
        if (engine != HostingEngines.Native)
        {
            return BpfObject.Load(RodataConfig, options);
        }
        var native = HostingEngines.Compile(RodataConfig, contextSize: 0, proved: true, runsUnchecked: !nativeChecked);
        return BpfObject.LoadEmbedded(new EmbeddedObject("rodata_config", File.ReadAllBytes(RodataConfig), "rodata_config.native.o", native), options);
    }

    [Theory]
    [MemberData(nameof(HostingEngines.WithNative), MemberType = typeof(HostingEngines))]
    public void AnIndexTheHostMovesOutOfBoundsIsRefusedWhenVerificationIsRequired(string engine)
    {
        var error = Assert.Throws<BpfException>(() => Load(engine, WithSettings(engine, slot: 1000) with { RequireVerification = true }));
        Assert.StartsWith("BPF2", error.Diagnostic.Code, StringComparison.Ordinal);
        Assert.Contains(error.Diagnostics, d => d.Program == "pick");
    }

    [Theory]
    [MemberData(nameof(HostingEngines.WithNative), MemberType = typeof(HostingEngines))]
    public void AnIndexTheHostMovesOutOfBoundsRunsCheckedAndFaultsInsteadOfReadingPastTheTable(string engine)
    {
        using var loaded = Load(engine, WithSettings(engine, slot: 1000));
        var pick = loaded.Programs["pick"];
        Assert.False(pick.IsVerified);
        Assert.False(pick.IsTrustedUnchecked);
        // Native code proved for slot 2 has no checks: the load must not have kept it.
        Assert.False(loaded.IsNativeCode);
        var fault = Assert.Throws<BpfException>(() => pick.Run());
        Assert.StartsWith("BPF40", fault.Diagnostic.Code, StringComparison.Ordinal);
        Assert.Equal(new byte[32], Table(loaded));
    }

    [Theory]
    [MemberData(nameof(HostingEngines.WithNative), MemberType = typeof(HostingEngines))]
    public void NewBytesThatKeepTheIndexInBoundsAreVerifiedAndTheProgramSeesThem(string engine)
    {
        using var loaded = Load(engine, WithSettings(engine, slot: 3) with { RequireVerification = true });
        var pick = loaded.Programs["pick"];
        Assert.True(pick.IsVerified);
        Assert.Equal(engine == HostingEngines.Native, loaded.IsNativeCode);
        Assert.Equal(103UL, pick.Run());
        Assert.Equal(203UL, pick.Run());
        Assert.Equal(2UL, BinaryPrimitives.ReadUInt64LittleEndian(Table(loaded).AsSpan(24)));
        Assert.Equal(Settings(3, 10), Bytes(loaded, ".rodata"));
    }

    [Theory]
    [MemberData(nameof(HostingEngines.WithNative), MemberType = typeof(HostingEngines))]
    public void WithoutHostBytesTheCompiledInValuesHold(string engine)
    {
        using var loaded = Load(engine, HostingEngines.Options(engine) with { RequireVerification = true });
        Assert.Equal(102UL, loaded.Programs["pick"].Run());
    }

    [Fact]
    public void NativeCodeWithRunTimeChecksStaysNativeAndCatchesTheAccess()
    {
        Assert.True(HasLlvm, "these tests compile native code and need libLLVM");
        using var loaded = Load(HostingEngines.Native, WithSettings(HostingEngines.Native, slot: 1000), nativeChecked: true);
        Assert.True(loaded.IsNativeCode);
        var fault = Assert.Throws<BpfException>(() => loaded.Programs["pick"].Run());
        Assert.StartsWith("BPF40", fault.Diagnostic.Code, StringComparison.Ordinal);
        Assert.Equal(new byte[32], Table(loaded));
    }

    [Fact]
    public void AskingForNativeCodeThatTheNewBytesMakeUnsafeFailsAndSaysWhy()
    {
        Assert.True(HasLlvm, "these tests compile native code and need libLLVM");
        var options = WithSettings(HostingEngines.Native, slot: 1000) with { Engine = BpfLoadOptions.AotEngine };
        var error = Assert.Throws<BpfException>(() => Load(HostingEngines.Native, options));
        Assert.Equal(DiagnosticCodes.ReadOnlyDataNativeRefused, error.Diagnostic.Code);
        Assert.Contains("'pick'", error.Message, StringComparison.Ordinal);
        Assert.Contains("BPF2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NativeCodeWithoutTheBudgetCounterIsNotUsedWhenTheNewBoundIsNotProvenToEnd()
    {
        Assert.True(HasLlvm, "these tests compile native code and need libLLVM");
        var aot = WithSettings(HostingEngines.Native, slot: 0, rounds: uint.MaxValue) with { Engine = BpfLoadOptions.AotEngine, Programs = ["spin"] };
        Assert.Equal(DiagnosticCodes.ReadOnlyDataNativeUnbounded, Assert.Throws<BpfException>(() => Load(HostingEngines.Native, aot)).Diagnostic.Code);

        // auto: the bytecode, verified, counts the budget instead of spinning 2^32 times.
        using var loaded = Load(HostingEngines.Native, aot with { Engine = BpfLoadOptions.AutoEngine, ExecutionBudget = 10_000 });
        var spin = loaded.Programs["spin"];
        Assert.False(loaded.IsNativeCode);
        Assert.True(spin.IsVerified);
        Assert.False(spin.IsTerminationProven);
        Assert.Equal(DiagnosticCodes.ExecutionBudgetExhausted, Assert.Throws<BpfException>(() => spin.Run()).Diagnostic.Code);
    }

    [Fact]
    public void ANativeObjectLoadedWithoutItsBytecodeCannotTakeNewBytes()
    {
        Assert.True(HasLlvm, "these tests compile native code and need libLLVM");
        var native = HostingEngines.Compile(RodataConfig, contextSize: 0, proved: true, runsUnchecked: true);
        var error = Assert.Throws<BpfException>(() => BpfObject.Load(native, WithSettings(HostingEngines.Native, slot: 3)));
        Assert.Equal(DiagnosticCodes.ReadOnlyDataNativeNotReverifiable, error.Diagnostic.Code);

        // Code that checks itself needs no proof: it takes the bytes.
        var checkedCode = HostingEngines.Compile(RodataConfig, contextSize: 0, proved: false, runsUnchecked: false);
        using var loaded = BpfObject.Load(checkedCode, WithSettings(HostingEngines.Native, slot: 3));
        Assert.Equal(103UL, loaded.Programs["pick"].Run());
    }

    [Fact]
    public void WrongSizeUnknownSectionAndWritableSectionAreRefusedWithWhatToDo()
    {
        var options = HostingEngines.Options("interpreter");
        var size = Assert.Throws<BpfException>(() => BpfObject.Load(RodataConfig, options with { ReadOnlyData = new BpfReadOnlyData().Set(".rodata", new byte[4]) }));
        Assert.Equal(DiagnosticCodes.ReadOnlyDataSizeMismatch, size.Diagnostic.Code);
        Assert.Contains("8 bytes", size.Message, StringComparison.Ordinal);

        var unknown = Assert.Throws<BpfException>(() => BpfObject.Load(RodataConfig, options with { ReadOnlyData = new BpfReadOnlyData().Set(".rodata.cfg", new byte[8]) }));
        Assert.Equal(DiagnosticCodes.ReadOnlyDataSectionNotFound, unknown.Diagnostic.Code);
        Assert.Contains(".rodata", unknown.Message.Replace(".rodata.cfg", "", StringComparison.Ordinal), StringComparison.Ordinal);

        var writable = Assert.Throws<BpfException>(() => BpfObject.Load(RodataConfig, options with { ReadOnlyData = new BpfReadOnlyData().Set(".bss", new byte[32]) }));
        Assert.Equal(DiagnosticCodes.ReadOnlyDataSectionWritable, writable.Diagnostic.Code);
        Assert.Contains("after the load", writable.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SettingBytesAfterALoadTookThemFailsAndTheLoadedObjectKeepsItsBytes()
    {
        var data = new BpfReadOnlyData().Set(".rodata", Settings(1, 10));
        using var loaded = BpfObject.Load(RodataConfig, HostingEngines.Options("interpreter") with { ReadOnlyData = data });
        Assert.True(data.IsFrozen);
        var error = Assert.Throws<BpfException>(() => data.Set(".rodata", Settings(1000, 10)));
        Assert.Equal(DiagnosticCodes.ReadOnlyDataAlreadyLoaded, error.Diagnostic.Code);
        Assert.Equal(101UL, loaded.Programs["pick"].Run());
        // The frozen bytes load again.
        using var again = BpfObject.Load(RodataConfig, HostingEngines.Options("interpreter") with { ReadOnlyData = data });
        Assert.Equal(101UL, again.Programs["pick"].Run());
    }

    [Fact]
    public void ATypedStructSetsTheWholeSection()
    {
        var data = new BpfReadOnlyData().Set(".rodata", new SettingsStruct { Slot = 3, Rounds = 10 });
        using var loaded = BpfObject.Load(RodataConfig, HostingEngines.Options("interpreter") with { ReadOnlyData = data, RequireVerification = true });
        Assert.Equal(103UL, loaded.Programs["pick"].Run());
    }

    private struct SettingsStruct
    {
        public uint Slot;
        public uint Rounds;
    }

    private static unsafe byte[] Bytes(BpfObject loaded, string section)
    {
        var map = loaded.Maps[section];
        return new ReadOnlySpan<byte>((void*)map.Lookup(new byte[4]), (int)map.Spec.ValueSize).ToArray();
    }

    private static byte[] Table(BpfObject loaded) => Bytes(loaded, ".bss");
}
