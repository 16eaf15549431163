using System.Buffers.Binary;
using System.Text;
using Bpftime.Isa;

namespace Bpftime.Tests.Objects;

/// <summary>Writes small ELF64 EM_BPF relocatable objects by hand, for cases clang does not produce.</summary>
internal sealed class ElfBuilder
{
    private readonly List<(string Name, uint Type, ulong Flags, byte[] Data, int Link, int Info, ulong EntrySize)> _sections = [];
    private readonly List<(string Name, byte Info, int Section, ulong Value, ulong Size)> _symbols = [("", 0, 0, 0, 0)];
    private readonly List<(int Section, ulong Offset, string Symbol, uint Type, long? Addend)> _relocations = [];

    public const uint ProgBits = 1;
    public const ulong AllocExec = 0x6;
    public const ulong AllocWrite = 0x3;

    /// <summary>Adds a section and returns its index (index 0 is the null section).</summary>
    public int Section(string name, byte[] data, uint type = ProgBits, ulong flags = AllocExec)
    {
        _sections.Add((name, type, flags, data, 0, 0, 0));
        return _sections.Count;
    }

    public int Code(string name, params Instruction[] code) => Section(name, InstructionDecoder.Encode(code));

    public ElfBuilder Symbol(string name, int section, ulong value = 0, ulong size = 0, byte type = 2, byte binding = 1)
    {
        _symbols.Add((name, (byte)((binding << 4) | type), section, value, size));
        return this;
    }

    public ElfBuilder Relocation(int section, ulong offset, string symbol, uint type, long? addend = null)
    {
        _relocations.Add((section, offset, symbol, type, addend));
        return this;
    }

    public byte[] Build()
    {
        var all = new List<(string Name, uint Type, ulong Flags, byte[] Data, int Link, int Info, ulong EntrySize)>(_sections);
        var strings = new StringTable();
        var symbolBytes = new byte[_symbols.Count * 24];
        for (var i = 0; i < _symbols.Count; i++)
        {
            var s = _symbols[i];
            var entry = symbolBytes.AsSpan(i * 24);
            BinaryPrimitives.WriteUInt32LittleEndian(entry, strings.Add(s.Name));
            entry[4] = s.Info;
            BinaryPrimitives.WriteUInt16LittleEndian(entry[6..], (ushort)s.Section);
            BinaryPrimitives.WriteUInt64LittleEndian(entry[8..], s.Value);
            BinaryPrimitives.WriteUInt64LittleEndian(entry[16..], s.Size);
        }
        var symtabIndex = all.Count + 1;
        var strtabIndex = all.Count + 2;
        all.Add((".symtab", 2, 0, symbolBytes, strtabIndex, 1, 24));
        all.Add((".strtab", 3, 0, [], 0, 0, 0));
        foreach (var group in _relocations.GroupBy(r => (r.Section, Rela: r.Addend is not null)))
        {
            var size = group.Key.Rela ? 24 : 16;
            var data = new byte[group.Count() * size];
            var i = 0;
            foreach (var r in group)
            {
                var entry = data.AsSpan(i++ * size);
                var symbol = _symbols.FindIndex(s => s.Name == r.Symbol);
                BinaryPrimitives.WriteUInt64LittleEndian(entry, r.Offset);
                BinaryPrimitives.WriteUInt64LittleEndian(entry[8..], ((ulong)symbol << 32) | r.Type);
                if (group.Key.Rela)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(entry[16..], r.Addend!.Value);
                }
            }
            var name = (group.Key.Rela ? ".rela" : ".rel") + _sections[group.Key.Section - 1].Name;
            all.Add((name, group.Key.Rela ? 4u : 9u, 0, data, symtabIndex, group.Key.Section, (ulong)size));
        }
        var sectionNames = all.Select(s => strings.Add(s.Name)).ToArray();
        all[strtabIndex - 1] = all[strtabIndex - 1] with { Data = strings.ToArray() };

        var body = new List<byte>(new byte[64]);
        var offsets = new List<int>();
        foreach (var section in all)
        {
            while (body.Count % 8 != 0)
            {
                body.Add(0);
            }
            offsets.Add(body.Count);
            body.AddRange(section.Data);
        }
        while (body.Count % 8 != 0)
        {
            body.Add(0);
        }
        var headerTable = body.Count;
        var bytes = new byte[headerTable + ((all.Count + 1) * 64)];
        body.CopyTo(bytes);
        ReadOnlySpan<byte> magic = [0x7f, (byte)'E', (byte)'L', (byte)'F'];
        magic.CopyTo(bytes);
        bytes[4] = 2;
        bytes[5] = 1;
        bytes[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(16), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(18), 247);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(20), 1);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(40), (ulong)headerTable);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(52), 64);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(58), 64);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(60), (ushort)(all.Count + 1));
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(62), (ushort)strtabIndex);
        for (var i = 0; i < all.Count; i++)
        {
            var header = bytes.AsSpan(headerTable + ((i + 1) * 64));
            var s = all[i];
            BinaryPrimitives.WriteUInt32LittleEndian(header, sectionNames[i]);
            BinaryPrimitives.WriteUInt32LittleEndian(header[4..], s.Type);
            BinaryPrimitives.WriteUInt64LittleEndian(header[8..], s.Flags);
            BinaryPrimitives.WriteUInt64LittleEndian(header[24..], (ulong)offsets[i]);
            BinaryPrimitives.WriteUInt64LittleEndian(header[32..], (ulong)s.Data.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(header[40..], (uint)s.Link);
            BinaryPrimitives.WriteUInt32LittleEndian(header[44..], (uint)s.Info);
            BinaryPrimitives.WriteUInt64LittleEndian(header[48..], 8);
            BinaryPrimitives.WriteUInt64LittleEndian(header[56..], s.EntrySize);
        }
        return bytes;
    }

    private sealed class StringTable
    {
        private readonly List<byte> _bytes = [0];
        private readonly Dictionary<string, uint> _offsets = new() { [""] = 0 };

        public uint Add(string text)
        {
            if (!_offsets.TryGetValue(text, out var offset))
            {
                offset = (uint)_bytes.Count;
                _bytes.AddRange(Encoding.UTF8.GetBytes(text));
                _bytes.Add(0);
                _offsets[text] = offset;
            }
            return offset;
        }

        public byte[] ToArray() => [.. _bytes];
    }
}
