using Bpftime.Elf;
using Bpftime.Isa;
using Bpftime.Objects;
using Bpftime.Tests.Objects;

namespace Bpftime.Runtime.Tests.Elf;

/// <summary>
/// Relocations kept by the index of the section they patch: two relocation sections for one target
/// read as one list in file order, the dictionary view keeps the order in which relocation sections
/// first name their targets, and a section the image does not hold has none.
/// </summary>
public class ElfRelocationIndexTests
{
    private static readonly Instruction ReturnZero = new(0xb7, 0, 0, 0, 0);
    private static readonly Instruction Exit = new(Opcodes.Exit, 0, 0, 0, 0);

    [Fact]
    public void TwoRelocationSectionsForOneTargetReadAsOneListInFileOrder()
    {
        var (image, code, data) = ReadObjectWithSplitRelocations();

        var relocations = image.RelocationsFor(image.Sections[data]);
        Assert.Equal([0UL, 8UL], relocations.Select(r => r.Offset));
        Assert.Equal([0L, 4L], relocations.Select(r => r.Addend));
        Assert.Single(image.RelocationsFor(image.Sections[code]));
        Assert.Same(image.RelocationArrayFor(image.Sections[data]), image.Relocations[data]);
    }

    [Fact]
    public void TheDictionaryViewKeepsTheOrderInWhichTargetsAreFirstNamed()
    {
        var (image, code, data) = ReadObjectWithSplitRelocations();

        // .rel.data comes before .relxdp in the file, though .data has the higher index.
        Assert.True(data > code);
        Assert.Equal([data, code], image.Relocations.Keys);
        Assert.Equal(2, image.Relocations[data].Count);
    }

    [Fact]
    public void SectionsWithoutRelocationsOrOutsideTheImageHaveNone()
    {
        var (image, _, _) = ReadObjectWithSplitRelocations();
        var strings = image.FindSection(".strtab")!;

        Assert.Empty(image.RelocationsFor(strings));
        Assert.Null(image.RelocationArrayFor(strings));
        var foreign = new ElfSection(image.Sections.Count + 5, ".text", ElfSection.TypeProgBits, 0, 0, 0, 0, 0, 1, 0);
        Assert.Empty(image.RelocationsFor(foreign));
        Assert.Null(image.RelocationArrayFor(foreign with { Index = -1 }));
    }

    private static (ElfImage Image, int Code, int Data) ReadObjectWithSplitRelocations()
    {
        var builder = new ElfBuilder();
        var code = builder.Code("xdp", ReturnZero, Exit);
        var data = builder.Section(".data", new byte[16], flags: ElfBuilder.AllocWrite);
        // REL and RELA entries for one section land in two relocation sections (.rel.data, then .rela.data).
        builder.Symbol("value", data, type: 1)
            .Relocation(data, 0, "value", 1)
            .Relocation(code, 0, "value", 1)
            .Relocation(data, 8, "value", 1, addend: 4);
        var image = ElfImage.Parse(builder.Build(), BpfObjectElfPolicy.Instance, null);
        return (image, code, data);
    }
}
