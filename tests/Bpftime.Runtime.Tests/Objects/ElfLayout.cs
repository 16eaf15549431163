using System.Buffers.Binary;
using System.Text;

namespace Bpftime.Tests.Objects;

/// <summary>Where the parts of a valid ELF64 object are, so tests can corrupt them precisely.</summary>
internal sealed class ElfLayout
{
    public sealed record Section(int Index, string Name, uint Type, int HeaderOffset, int Offset, int Size, ulong EntrySize);

    public ElfLayout(byte[] bytes)
    {
        SectionHeaderOffset = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(40));
        var count = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(60));
        var namesIndex = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(62));
        var raw = new List<(uint Name, uint Type, int Offset, int Size, ulong EntrySize)>();
        for (var i = 0; i < count; i++)
        {
            var header = bytes.AsSpan(SectionHeaderOffset + (i * 64), 64);
            raw.Add((BinaryPrimitives.ReadUInt32LittleEndian(header), BinaryPrimitives.ReadUInt32LittleEndian(header[4..]),
                (int)BinaryPrimitives.ReadUInt64LittleEndian(header[24..]), (int)BinaryPrimitives.ReadUInt64LittleEndian(header[32..]),
                BinaryPrimitives.ReadUInt64LittleEndian(header[56..])));
        }
        var names = raw[namesIndex];
        Sections = raw.Select((s, i) =>
        {
            var start = names.Offset + (int)s.Name;
            var end = Array.IndexOf(bytes, (byte)0, start);
            return new Section(i, Encoding.UTF8.GetString(bytes, start, end - start), s.Type, SectionHeaderOffset + (i * 64), s.Offset, s.Size, s.EntrySize);
        }).ToList();
    }

    public int SectionHeaderOffset { get; }

    public IReadOnlyList<Section> Sections { get; }

    public Section? Find(string name) => Sections.FirstOrDefault(s => s.Name == name);
}
