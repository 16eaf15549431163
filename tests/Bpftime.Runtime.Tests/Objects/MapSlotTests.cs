using System.Buffers.Binary;
using Bpftime.Diagnostics;
using Bpftime.Objects;

namespace Bpftime.Tests.Objects;

/// <summary>
/// `.values` initialisers of BTF maps (tests/data/c/libbpf_maps/maps.bpf.c): clang leaves one
/// relocation in `.maps` per initialised slot, against the program or map it names; the reader turns
/// them into <see cref="MapSpec.InitialSlots"/> and refuses the ones libbpf would refuse.
/// </summary>
public class MapSlotTests
{
    private static readonly string ObjectPath = Path.Combine(TestPaths.DataDirectory, "obj", "libbpf_maps", "maps.bpf.o");

    private static MapSpec Map(BpfObjectFile file, string name) => file.Maps[file.FindMapIndex(name)];

    [Fact]
    public void ValuesNameTheProgramsAndMapsOfEachSlot()
    {
        var file = ObjectReader.ReadFile(ObjectPath);

        var jumps = Map(file, "jumps");
        Assert.Equal((MapType.ProgArray, 4u, 4u, 2u), (jumps.Type, jumps.KeySize, jumps.ValueSize, jumps.MaxEntries));
        Assert.Equal([new MapSlot(0, "report")], jumps.InitialSlots);
        Assert.Equal([new MapSlot(0, "inner_a"), new MapSlot(1, "inner_b")], Map(file, "outer").InitialSlots);
        Assert.Equal([new MapSlot(3, "inner_h")], Map(file, "by_id").InitialSlots);
        Assert.Equal((MapType.Hash, 4u, 8u, 8u), (Map(file, "by_id").InnerMap!.Type, Map(file, "by_id").InnerMap!.KeySize, Map(file, "by_id").InnerMap!.ValueSize, Map(file, "by_id").InnerMap!.MaxEntries));
        Assert.Empty(Map(file, "stats").InitialSlots);
        Assert.DoesNotContain(file.Warnings, w => w.Code == DiagnosticCodes.RelocationIgnored);
    }

    /// <summary>The bytes of maps.bpf.o and the file offset of its .rel.maps entry against <paramref name="target"/>.</summary>
    private static (byte[] Bytes, int Entry) Relocation(string target)
    {
        var bytes = File.ReadAllBytes(ObjectPath);
        var layout = new ElfLayout(bytes);
        var relocations = layout.Find(".rel.maps")!;
        var symbols = layout.Find(".symtab")!;
        var strings = layout.Sections[BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(symbols.HeaderOffset + 40))];
        for (var entry = relocations.Offset; entry < relocations.Offset + relocations.Size; entry += 16)
        {
            var symbol = (int)(BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(entry + 8)) >> 32);
            var nameOffset = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(symbols.Offset + (symbol * 24)));
            var name = bytes.AsSpan(strings.Offset + nameOffset);
            if (name[..name.IndexOf((byte)0)].SequenceEqual(System.Text.Encoding.ASCII.GetBytes(target)))
            {
                return (bytes, entry);
            }
        }
        throw new InvalidOperationException($"no .rel.maps entry against {target}");
    }

    private static BpfException Refused(byte[] bytes)
    {
        var error = Assert.Throws<BpfException>(() => ObjectReader.Read(bytes, "patched.bpf.o"));
        Assert.Equal(DiagnosticCodes.MapSlotInitialiserInvalid, error.Code);
        return error;
    }

    [Fact]
    public void ASlotOutsideTheValuesMemberIsRefused()
    {
        var (bytes, entry) = Relocation("inner_a");
        // Back to the start of outer's declaration (its type field), before the values member.
        var offset = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(entry));
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(entry), offset - 24);
        Assert.Contains("values", Refused(bytes).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ASlotBetweenTwoPointersIsRefused()
    {
        var (bytes, entry) = Relocation("inner_b");
        var offset = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(entry));
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(entry), offset + 4);
        Assert.Contains("8 bytes a slot", Refused(bytes).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AProgramArraySlotMayNameOnlyAProgram()
    {
        var (bytes, entry) = Relocation("report");
        var (_, mapEntry) = Relocation("inner_a");
        // The slot of jumps now names inner_a's symbol.
        bytes.AsSpan(mapEntry + 12, 4).CopyTo(bytes.AsSpan(entry + 12));
        var error = Refused(bytes);
        Assert.Contains("'inner_a'", error.Message, StringComparison.Ordinal);
        Assert.Contains("program array 'jumps'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMapOfMapsSlotMayNameOnlyAnotherMap()
    {
        var (bytes, entry) = Relocation("inner_h");
        var (_, programEntry) = Relocation("report");
        bytes.AsSpan(programEntry + 12, 4).CopyTo(bytes.AsSpan(entry + 12));
        var error = Refused(bytes);
        Assert.Contains("'report'", error.Message, StringComparison.Ordinal);
        Assert.Contains("map of maps 'by_id'", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// The corpus's build/prog_array.o names .text subprograms as program-array values: libbpf refuses to
    /// load it, yet each function is an ordinary program to read and verify, so only the load fails.
    /// </summary>
    [SkippableFact]
    public void ASubprogramAsAProgramArrayValueFailsTheLoadNotTheRead()
    {
        var root = Corpus.CorpusLocation.Directory;
        Skip.If(root is null, Corpus.CorpusLocation.SkipReason);
        var path = Path.Combine(root!, "build", "prog_array.o");

        var file = ObjectReader.ReadFile(path);
        var slots = Map(file, "prog_array_map").InitialSlots;
        Assert.NotEmpty(slots);
        Assert.All(slots, slot => Assert.Contains("subprogram of .text", slot.Refusal, StringComparison.Ordinal));

        var error = Assert.Throws<BpfException>(() => Bpftime.Hosting.BpfObject.Load(path, new Bpftime.Hosting.BpfLoadOptions { Engine = "interpreter" }).Dispose());
        Assert.Equal(DiagnosticCodes.MapSlotInitialiserInvalid, error.Code);
        Assert.Contains("prog_array_map", error.Message, StringComparison.Ordinal);
    }
}
