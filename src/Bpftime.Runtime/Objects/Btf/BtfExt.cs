using System.Buffers.Binary;
using Bpftime.Diagnostics;

namespace Bpftime.Objects;

/// <summary>
/// The records of .BTF.ext, grouped by the code section they describe. Instruction offsets are
/// still byte offsets within that section here; the linker maps them onto each program.
/// </summary>
internal sealed class BtfExt
{
    private const int MinimumHeaderLength = 24;

    public Dictionary<string, List<(uint InstructionOffset, uint TypeId)>> FunctionInfo { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, List<(uint InstructionOffset, uint FileNameOffset, uint LineOffset, uint LineColumn)>> LineInfo { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, List<(uint InstructionOffset, uint TypeId, uint AccessStringOffset, uint Kind)>> CoreRelocations { get; } = new(StringComparer.Ordinal);

    public static BtfExt Parse(ReadOnlySpan<byte> section, Btf btf, string? file)
    {
        BpfException Bad(string message) => BpfException.Create(DiagnosticCodes.BtfExtInvalid, message, file);

        if (section.Length < MinimumHeaderLength)
        {
            throw Bad($".BTF.ext is {section.Length} bytes, shorter than its 24-byte header");
        }
        if (BinaryPrimitives.ReadUInt16LittleEndian(section) != Btf.Magic || section[2] != 1)
        {
            throw Bad(".BTF.ext has a bad magic or version");
        }
        var headerLength = BinaryPrimitives.ReadUInt32LittleEndian(section[4..]);
        if (headerLength < MinimumHeaderLength || headerLength > (uint)section.Length || headerLength % 4 != 0)
        {
            throw Bad($".BTF.ext header length {headerLength} is outside 24..{section.Length} or misaligned");
        }
        var body = section[(int)headerLength..];
        var ext = new BtfExt();

        ReadSubsection(body, section, 8, 8, ".BTF.ext func_info", btf, Bad, (name, record) =>
            Add(ext.FunctionInfo, name, (U32(record, 0), U32(record, 4))));
        ReadSubsection(body, section, 16, 16, ".BTF.ext line_info", btf, Bad, (name, record) =>
            Add(ext.LineInfo, name, (U32(record, 0), U32(record, 4), U32(record, 8), U32(record, 12))));
        if (headerLength >= 32)
        {
            ReadSubsection(body, section, 24, 16, ".BTF.ext CO-RE relocations", btf, Bad, (name, record) =>
                Add(ext.CoreRelocations, name, (U32(record, 0), U32(record, 4), U32(record, 8), U32(record, 12))));
        }
        foreach (var list in ext.FunctionInfo.Values)
        {
            SortAndCheck(list, r => r.InstructionOffset, file);
        }
        foreach (var list in ext.LineInfo.Values)
        {
            SortAndCheck(list, r => r.InstructionOffset, file);
        }
        foreach (var list in ext.CoreRelocations.Values)
        {
            SortAndCheck(list, r => r.InstructionOffset, file);
        }
        return ext;
    }

    /// <summary>Orders records by instruction (stably) so the linker can find a function's records by range; offsets must be whole instructions.</summary>
    private static void SortAndCheck<T>(List<T> records, Func<T, uint> offsetOf, string? file)
    {
        foreach (var record in records)
        {
            if (offsetOf(record) % 8 != 0)
            {
                throw BpfException.Create(DiagnosticCodes.BtfExtInstructionOutOfRange,
                    $".BTF.ext names byte {offsetOf(record)}, which is not the start of an instruction", file);
            }
        }
        var sorted = records.OrderBy(offsetOf).ToList();
        records.Clear();
        records.AddRange(sorted);
    }

    private delegate void RecordHandler(string sectionName, ReadOnlySpan<byte> record);

    /// <summary>One of func_info, line_info or core_relo: a record size, then blocks of (section name, count, records).</summary>
    private static void ReadSubsection(ReadOnlySpan<byte> body, ReadOnlySpan<byte> header, int headerField, int minimumRecordSize,
        string what, Btf btf, Func<string, BpfException> bad, RecordHandler handler)
    {
        var offset = BinaryPrimitives.ReadUInt32LittleEndian(header[headerField..]);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(header[(headerField + 4)..]);
        if (length == 0)
        {
            return;
        }
        if ((ulong)offset + length > (ulong)body.Length)
        {
            throw bad($"{what} ({length} bytes at {offset}) lies outside .BTF.ext");
        }
        var data = body.Slice((int)offset, (int)length);
        if (data.Length < 4)
        {
            throw bad($"{what} is too short to hold its record size");
        }
        var recordSize = BinaryPrimitives.ReadUInt32LittleEndian(data);
        if (recordSize < minimumRecordSize || recordSize > 1024 || recordSize % 4 != 0)
        {
            throw bad($"{what} record size {recordSize} is not a multiple of 4 between {minimumRecordSize} and 1024");
        }
        var position = 4;
        while (position < data.Length)
        {
            if (data.Length - position < 8)
            {
                throw bad($"{what} ends inside a block header");
            }
            var nameOffset = BinaryPrimitives.ReadUInt32LittleEndian(data[position..]);
            var count = BinaryPrimitives.ReadUInt32LittleEndian(data[(position + 4)..]);
            position += 8;
            if (!btf.TryGetString(nameOffset, out var sectionName))
            {
                throw BpfException.Create(DiagnosticCodes.BtfBadStringOffset, $"{what} names section string offset {nameOffset}, outside the BTF string table");
            }
            if ((ulong)count * recordSize > (ulong)(data.Length - position))
            {
                throw bad($"{what} for '{sectionName}' lists {count} records, which run past its end");
            }
            for (var i = 0; i < count; i++)
            {
                handler(sectionName, data.Slice(position, (int)recordSize));
                position += (int)recordSize;
            }
        }
    }

    private static uint U32(ReadOnlySpan<byte> record, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(record[offset..]);

    private static void Add<T>(Dictionary<string, List<T>> lists, string name, T record)
    {
        if (!lists.TryGetValue(name, out var list))
        {
            lists[name] = list = [];
        }
        list.Add(record);
    }
}
