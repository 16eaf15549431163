using System.Buffers.Binary;
using Bpftime.Diagnostics;
using Bpftime.Objects;

namespace Bpftime.Tests.Objects;

/// <summary>
/// e_machine as libbpf reads it: old LLVM wrote EM_NONE (0) into BPF objects, and libbpf accepts a
/// relocatable object with machine 0 or EM_BPF. Every other machine stays refused.
/// </summary>
public class LenientElfTests
{
    private static byte[] WithMachine(string name, ushort machine, ushort? type = null)
    {
        var bytes = TestObjects.Bytes(name);
        bytes[18] = (byte)machine;
        bytes[19] = (byte)(machine >> 8);
        if (type is { } t)
        {
            bytes[16] = (byte)t;
            bytes[17] = (byte)(t >> 8);
        }
        return bytes;
    }

    [Theory]
    [InlineData("xdp")]
    [InlineData("maps")]
    public void MachineZeroReadsAsTheSameObjectWithAWarning(string name)
    {
        var original = TestObjects.Read(name);
        var lenient = ObjectReader.Read(WithMachine(name, 0), name + ".bpf.o");

        Assert.Equal(original.Programs.Select(p => (p.Name, p.Section, p.Type)), lenient.Programs.Select(p => (p.Name, p.Section, p.Type)));
        for (var i = 0; i < original.Programs.Count; i++)
        {
            Assert.Equal(original.Programs[i].Instructions, lenient.Programs[i].Instructions);
        }
        Assert.Equal(original.Maps.Select(m => (m.Name, m.Type, m.KeySize, m.ValueSize)), lenient.Maps.Select(m => (m.Name, m.Type, m.KeySize, m.ValueSize)));
        var warning = Assert.Single(lenient.Warnings, w => w.Code == DiagnosticCodes.ElfMachineNone);
        Assert.Equal(DiagnosticSeverity.Warning, warning.Severity);
        Assert.DoesNotContain(original.Warnings, w => w.Code == DiagnosticCodes.ElfMachineNone);
    }

    [Fact]
    public void OldLlvmMapRelocationsOfTypeZeroAreApplied()
    {
        // Old LLVM wrote EM_NONE objects whose map loads carry relocation type 0 (R_BPF_NONE): libbpf relocates by
        // the instruction (ld_imm64) and the symbol, so the object reads exactly as with R_BPF_64_64.
        var original = TestObjects.Read("maps");
        var bytes = WithMachine("maps", 0);
        var patched = ZeroCodeRelocationTypes(bytes, BpfRelocationTypeR64_64);
        Assert.True(patched > 0);

        var lenient = ObjectReader.Read(bytes, "maps.bpf.o");
        for (var i = 0; i < original.Programs.Count; i++)
        {
            Assert.Equal(original.Programs[i].Instructions, lenient.Programs[i].Instructions);
        }
    }

    [Fact]
    public void TypeZeroRelocationsOfBpfObjectsStayUnapplied()
    {
        var bytes = TestObjects.Bytes("maps");
        Assert.True(ZeroCodeRelocationTypes(bytes, BpfRelocationTypeR64_64) > 0);
        var read = ObjectReader.Read(bytes, "maps.bpf.o");
        Assert.Contains(read.Warnings, w => w.Code == DiagnosticCodes.RelocationIgnored);
    }

    private const uint BpfRelocationTypeR64_64 = 1;

    /// <summary>Sets the type of every relocation of <paramref name="type"/> in the code sections' REL tables to 0.</summary>
    private static int ZeroCodeRelocationTypes(byte[] bytes, uint type)
    {
        var layout = new ElfLayout(bytes);
        var count = 0;
        foreach (var section in layout.Sections.Where(s => s.Type == 9 && !s.Name.StartsWith(".rel.BTF", StringComparison.Ordinal)))
        {
            for (var offset = section.Offset; offset + 16 <= section.Offset + section.Size; offset += 16)
            {
                var info = offset + 8;
                if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(info)) == type)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(info), 0);
                    count++;
                }
            }
        }
        return count;
    }

    [Theory]
    [InlineData(62)]   // x86-64
    [InlineData(183)]  // aarch64
    [InlineData(1)]
    [InlineData(246)]
    [InlineData(248)]
    public void OtherMachinesStayRefused(ushort machine)
    {
        var error = Assert.Throws<BpfException>(() => ObjectReader.Read(WithMachine("xdp", machine), "x.bpf.o"));
        Assert.Equal(DiagnosticCodes.ElfWrongMachine, error.Code);
    }

    [Fact]
    public void MachineZeroMustStillBeRelocatable()
    {
        // ET_EXEC (2) with EM_NONE: libbpf refuses any type but ET_REL, whatever the machine.
        var error = Assert.Throws<BpfException>(() => ObjectReader.Read(WithMachine("xdp", 0, type: 2), "x.bpf.o"));
        Assert.Equal(DiagnosticCodes.ElfWrongType, error.Code);
    }
}
