using System.Buffers.Binary;
using Bpftime.Diagnostics;
using Bpftime.Isa;
using Bpftime.Linking.Native;
using Bpftime.Objects;
using Bpftime.Runtime.Tests.Engines.Aot;
using Bpftime.Tests.Objects;

namespace Bpftime.Runtime.Tests.Elf;

/// <summary>
/// The one ELF reader under its two policies: the same damage is refused for eBPF objects with a
/// BPF1xxx code and for native objects with a BPF31xx code, and each policy keeps its own machines.
/// </summary>
public class ElfImageTests
{
    private const int MachineOffset = 18;
    private static readonly Instruction ReturnZero = new(0xb7, 0, 0, 0, 0);
    private static readonly Instruction Exit = new(Opcodes.Exit, 0, 0, 0, 0);

    [Fact]
    public void RelocationPastTheEndOfItsSectionIsRefusedUnderBothPolicies()
    {
        var builder = new ElfBuilder();
        builder.Code("xdp", ReturnZero, Exit);
        var data = builder.Section(".data", new byte[8], flags: ElfBuilder.AllocWrite);
        builder.Symbol("value", data, type: 1).Relocation(data, 64, "value", 2, addend: 0);
        var bytes = builder.Build();

        Assert.Equal(DiagnosticCodes.RelocationOutOfBounds, Assert.Throws<BpfException>(() => ObjectReader.Read(bytes)).Code);
        var error = Assert.Throws<BpfException>(() => AotObjectFile.Read(AsX64(bytes)));
        Assert.Equal(DiagnosticCodes.NativeObjectMalformed, error.Code);
        Assert.Contains("patches offset 64", error.Message);
    }

    [Fact]
    public void AlignmentThatIsNotAPowerOfTwoIsRefusedUnderBothPolicies()
    {
        var bytes = AotTestObjects.Read("helpers.o");
        var text = new ElfLayout(bytes).Find(".text")!;
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(text.HeaderOffset + 48), 24);

        var error = Assert.Throws<BpfException>(() => AotObjectFile.Read(bytes));
        Assert.Equal(DiagnosticCodes.NativeObjectMalformed, error.Code);
        Assert.Contains("not a power of two", error.Message);
        Assert.Equal(DiagnosticCodes.SectionOutOfBounds, Assert.Throws<BpfException>(() => ObjectReader.Read(AsBpf(bytes))).Code);
    }

    [Fact]
    public void SecondSymbolTableIsRefusedUnderBothPolicies()
    {
        var builder = new ElfBuilder();
        builder.Code("xdp", ReturnZero, Exit);
        builder.Section(".data", new byte[24], flags: ElfBuilder.AllocWrite);
        var bytes = builder.Build();
        var data = new ElfLayout(bytes).Find(".data")!;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(data.HeaderOffset + 4), 2); // SHT_SYMTAB

        Assert.Equal(DiagnosticCodes.SymbolTableMalformed, Assert.Throws<BpfException>(() => ObjectReader.Read(bytes)).Code);
        Assert.Equal(DiagnosticCodes.NativeObjectMalformed, Assert.Throws<BpfException>(() => AotObjectFile.Read(AsX64(bytes))).Code);
    }

    [Fact]
    public void NativePolicyReadsOnlyRelaEntries()
    {
        var builder = new ElfBuilder();
        builder.Code("xdp", ReturnZero, Exit);
        var data = builder.Section(".data", new byte[8], flags: ElfBuilder.AllocWrite);
        builder.Symbol("value", data, type: 1).Relocation(data, 0, "value", 1);
        var bytes = builder.Build();

        ObjectReader.Read(bytes); // REL is what eBPF objects use
        Assert.Equal(DiagnosticCodes.LinkUnsupportedRelocation, Assert.Throws<BpfException>(() => AotObjectFile.Read(AsX64(bytes))).Code);
    }

    [Fact]
    public void EachPolicyKeepsItsOwnMachines()
    {
        var native = AotTestObjects.Read("helpers.o");
        Assert.Equal(DiagnosticCodes.ElfWrongMachine, Assert.Throws<BpfException>(() => ObjectReader.Read(native)).Code);

        var riscv = (byte[])native.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(riscv.AsSpan(MachineOffset), 243);
        var error = Assert.Throws<BpfException>(() => AotObjectFile.Read(riscv));
        Assert.Equal(DiagnosticCodes.NativeObjectTargetMismatch, error.Code);
        Assert.Contains("riscv", error.Message);

        var bpf = TestObjects.Bytes(TestObjects.AllNames().First());
        Assert.Equal(DiagnosticCodes.NativeObjectTargetMismatch, Assert.Throws<BpfException>(() => AotObjectFile.Read(bpf)).Code);
        Assert.Equal(AotObjectFile.MachineAArch64, AotObjectFile.Read(AotTestObjects.Read("helpers_aarch64.o")).Machine);
    }

    private static byte[] AsX64(byte[] bytes) => WithMachine(bytes, AotObjectFile.MachineX64);

    private static byte[] AsBpf(byte[] bytes) => WithMachine(bytes, AotObjectFile.MachineBpf);

    private static byte[] WithMachine(byte[] bytes, ushort machine)
    {
        var copy = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(MachineOffset), machine);
        return copy;
    }
}
