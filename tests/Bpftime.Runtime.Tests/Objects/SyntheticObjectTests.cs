using Bpftime.Diagnostics;
using Bpftime.Isa;
using Bpftime.Objects;

namespace Bpftime.Tests.Objects;

/// <summary>Objects written by hand for shapes clang does not emit by default.</summary>
public class SyntheticObjectTests
{
    private static readonly Instruction Exit = new(Opcodes.Exit, 0, 0, 0, 0);

    private static Instruction Mov(int imm) => new(0xb7, 0, 0, 0, imm);

    private static Instruction Call(byte src, int imm) => new(Opcodes.Call, 0, src, 0, imm);

    private static Instruction LoadImm64(byte src, int imm) => new(Opcodes.LoadImm64, 1, src, 0, imm);

    private static readonly Instruction Second = new(0, 0, 0, 0, 0);

    [Fact]
    public void SectionWithoutFunctionSymbolsIsOneProgramNamedAfterIt()
    {
        var elf = new ElfBuilder();
        elf.Code("xdp", Mov(2), Exit);
        var program = Assert.Single(ObjectReader.Read(elf.Build()).Programs);
        Assert.Equal("xdp", program.Name);
        Assert.Equal(ProgramType.Xdp, program.Type);
        Assert.Equal(2, program.Instructions.Count);
    }

    [Fact]
    public void UnknownSectionNameIsAWarningNotAnError()
    {
        var elf = new ElfBuilder();
        var section = elf.Code("mystuff", Mov(1), Exit);
        elf.Symbol("entry", section, 0, 16);
        var obj = ObjectReader.Read(elf.Build());
        Assert.Equal(ProgramType.Unspecified, obj.Programs[0].Type);
        Assert.Contains(obj.Warnings, w => w.Code == DiagnosticCodes.UnknownSectionName && w.Severity == DiagnosticSeverity.Warning);
    }

    [Fact]
    public void RelaRelocationsAreReadToo()
    {
        var elf = new ElfBuilder();
        var text = elf.Code(".text", Mov(7), Exit);
        var socket = elf.Code("socket", Call(0, -1), Exit);
        elf.Symbol("helper", text, 0, 16, binding: 0).Symbol("main", socket, 0, 16);
        elf.Relocation(socket, 0, "helper", 10, addend: 0);
        var program = Assert.Single(ObjectReader.Read(elf.Build()).Programs);
        Assert.Equal(4, program.Instructions.Count);
        Assert.True(program.Instructions[0].IsLocalCall);
        Assert.Equal(2, 1 + program.Instructions[0].Imm);
    }

    [Fact]
    public void KernelFunctionCallIsAnUnresolvedExtern()
    {
        var elf = new ElfBuilder();
        var socket = elf.Code("socket", Call(2, -1), Exit);
        elf.Symbol("main", socket, 0, 16).Symbol("bpf_kfunc", 0, type: 0);
        elf.Relocation(socket, 0, "bpf_kfunc", 10);
        var error = Assert.Throws<BpfException>(() => ObjectReader.Read(elf.Build()));
        Assert.Equal(DiagnosticCodes.UnresolvedExtern, error.Code);
        Assert.Contains("bpf_kfunc", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnrelocatedCodeAddressMovesWithItsTarget()
    {
        // .text: [0] callback: r0 = 0; exit.  socket: ld_imm64 r1 = &callback via a .text call chain.
        var elf = new ElfBuilder();
        var text = elf.Code(".text", Mov(0), Exit, Call(1, -3), Exit);
        var socket = elf.Code("socket", Call(0, -1), Exit);
        elf.Symbol("callback", text, 0, 16, binding: 0).Symbol("relay", text, 16, 16).Symbol("main", socket, 0, 16);
        elf.Relocation(socket, 0, "relay", 10);
        var program = Assert.Single(ObjectReader.Read(elf.Build()).Programs);
        // main (2) then relay (2) then callback (2): relay's local call must land on callback at 4.
        Assert.Equal([("relay", 2), ("callback", 4)], program.Subprograms);
        Assert.Equal(4, 3 + program.Instructions[2].Imm);
        Assert.Equal(2, 1 + program.Instructions[0].Imm);
    }

    [Fact]
    public void HandWrittenCodeAddressWithoutRelocation()
    {
        var elf = new ElfBuilder();
        // Like a call, the offset counts from the slot after the first: 0 + 1 + 2 = slot 3.
        var socket = elf.Code("socket", LoadImm64((byte)LoadImm64Source.CodeAddress, 2), Second, Exit, Mov(3), Exit);
        elf.Symbol("main", socket, 0, 24).Symbol("callback", socket, 24, 16, binding: 0);
        var obj = ObjectReader.Read(elf.Build());
        var main = obj.FindProgram("main")!;
        Assert.Equal([("callback", 3)], main.Subprograms);
        Assert.Equal(3, 1 + main.Instructions[0].Imm);
    }

    [Fact]
    public void LegacyMapWithoutSymbolSizeTakesTheGapToTheNext()
    {
        var definition = new byte[40];
        BitConverter.GetBytes(2u).CopyTo(definition, 0);
        BitConverter.GetBytes(4u).CopyTo(definition, 4);
        BitConverter.GetBytes(8u).CopyTo(definition, 8);
        BitConverter.GetBytes(3u).CopyTo(definition, 12);
        BitConverter.GetBytes(1u).CopyTo(definition, 20);
        BitConverter.GetBytes(4u).CopyTo(definition, 24);
        BitConverter.GetBytes(4u).CopyTo(definition, 28);
        BitConverter.GetBytes(9u).CopyTo(definition, 32);
        var elf = new ElfBuilder();
        var maps = elf.Section("maps", definition, flags: ElfBuilder.AllocWrite);
        var socket = elf.Code("socket", LoadImm64(0, 0), Second, LoadImm64(0, 0), Second, Exit);
        elf.Symbol("first_map", maps, 0, 0, type: 1).Symbol("second_map", maps, 20, 0, type: 1).Symbol("main", socket, 0, 40);
        elf.Relocation(socket, 0, "first_map", 1).Relocation(socket, 16, "second_map", 1);
        var obj = ObjectReader.Read(elf.Build());
        Assert.Equal(new MapSpec("first_map", MapType.Array, 4, 8, 3) { Section = "maps" }, obj.Maps[0]);
        Assert.Equal(new MapSpec("second_map", MapType.Hash, 4, 4, 9) { Section = "maps" }, obj.Maps[1]);
        var code = obj.Programs[0].Instructions;
        Assert.Equal((5, 0), (code[0].Src, code[0].Imm));
        Assert.Equal((5, 1), (code[2].Src, code[2].Imm));
    }

    [Fact]
    public void GlobalDataOffsetPastTheSectionIsRejected()
    {
        var elf = new ElfBuilder();
        var data = elf.Section(".data", new byte[8], flags: ElfBuilder.AllocWrite);
        var socket = elf.Code("socket", LoadImm64(0, 64), Second, Exit);
        elf.Symbol(".data", data, type: 3, binding: 0).Symbol("main", socket, 0, 24);
        elf.Relocation(socket, 0, ".data", 1);
        Assert.Equal(DiagnosticCodes.GlobalDataOffsetOutOfRange, Assert.Throws<BpfException>(() => ObjectReader.Read(elf.Build())).Code);
    }

    [Fact]
    public void CallIntoTheMiddleOfNowhereIsRejected()
    {
        var elf = new ElfBuilder();
        var socket = elf.Code("socket", Call(1, 100), Exit);
        elf.Symbol("main", socket, 0, 16);
        var error = Assert.Throws<BpfException>(() => ObjectReader.Read(elf.Build()));
        Assert.Equal(DiagnosticCodes.CallTargetInvalid, error.Code);
        Assert.Equal("main", error.Diagnostic.Program);
    }

    [Fact]
    public void ManyFunctionsCallingEachOtherLinkInReasonableTime()
    {
        // 20,000 .text functions, each calling the next: one program pulls them all in.
        const int count = 20_000;
        var text = new List<Instruction>();
        for (var i = 0; i < count; i++)
        {
            text.Add(i + 1 < count ? Call(1, 1) : Mov(0));
            text.Add(Exit);
        }
        var elf = new ElfBuilder();
        var textIndex = elf.Code(".text", [.. text]);
        var socket = elf.Code("socket", Call(0, -1), Exit);
        for (var i = 0; i < count; i++)
        {
            elf.Symbol($"f{i}", textIndex, (ulong)i * 16, 16, binding: 0);
        }
        elf.Symbol("main", socket, 0, 16);
        elf.Relocation(socket, 0, "f0", 10);
        var program = Assert.Single(ObjectReader.Read(elf.Build()).Programs);
        Assert.Equal(2 + (2 * count), program.Instructions.Count);
        Assert.Equal(count, program.Subprograms.Count);
    }
}
