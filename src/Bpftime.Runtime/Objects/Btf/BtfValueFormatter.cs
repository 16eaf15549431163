using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using Bpftime.Diagnostics;

namespace Bpftime.Objects;

/// <summary>
/// Turns the bytes of a map key or value into a JSON value through the object's BTF, as bpftool
/// prints maps: structs and unions as objects with their members by name (bitfields extracted),
/// arrays as arrays (char arrays as strings when they hold text), enums by enumerator name,
/// integers as numbers (signed where the type is), bools as true or false, pointers as hex, and the
/// global data sections (.data, .bss, .rodata) as objects of their variables. Bytes that no type
/// describes, or that the type does not fit, are written as hex, so a malformed or hostile BTF
/// changes only how a value is shown, never whether it can be.
/// </summary>
public sealed class BtfValueFormatter
{
    /// <summary>Nesting beyond this is written as hex: BTF can describe deep or cyclic shapes.</summary>
    public const int MaxDepth = 32;

    private readonly Btf _btf;
    private readonly IReadOnlyDictionary<(string Section, string Variable), uint> _variableOffsets;

    /// <param name="btf">The object's types.</param>
    /// <param name="variableOffsets">
    /// Where each global variable lies in its data section. Compilers leave the offsets (and sizes)
    /// of a data section's BTF to the loader, which takes them from the ELF symbols;
    /// <see cref="ForObject"/> reads them. Without an entry the BTF's own offset is used.
    /// </param>
    public BtfValueFormatter(Btf btf, IReadOnlyDictionary<(string Section, string Variable), uint>? variableOffsets = null)
    {
        ArgumentNullException.ThrowIfNull(btf);
        _btf = btf;
        _variableOffsets = variableOffsets ?? new Dictionary<(string, string), uint>();
    }

    /// <summary>
    /// A formatter for an eBPF object's bytes: its BTF, and the offsets of its global variables from
    /// its symbol table. Null when the object has no BTF; a malformed object is refused as the reader refuses it.
    /// </summary>
    public static BtfValueFormatter? ForObject(byte[] objectBytes, Btf? btf)
    {
        ArgumentNullException.ThrowIfNull(objectBytes);
        if (btf is null)
        {
            return null;
        }
        var offsets = new Dictionary<(string, string), uint>();
        if (Elf.ElfImage.HasElfMagic(objectBytes))
        {
            var elf = Elf.ElfImage.Parse(objectBytes, BpfObjectElfPolicy.Instance, null);
            foreach (var symbol in elf.Symbols)
            {
                if (symbol.Type == Elf.ElfSymbol.TypeObject && symbol.IsInSection && symbol.Value <= uint.MaxValue
                    && elf.SectionAt(symbol.SectionIndex) is { } section)
                {
                    offsets[(section.Name, symbol.Name)] = (uint)symbol.Value;
                }
            }
        }
        return new BtfValueFormatter(btf, offsets);
    }

    /// <summary>
    /// Whether <paramref name="typeId"/> describes exactly <paramref name="size"/> bytes, so that
    /// values of that size can be shown through it (a map whose BTF does not match its layout is shown as hex).
    /// </summary>
    public bool Describes(uint typeId, uint size)
    {
        if (typeId == 0 || !_btf.TryGetType(typeId, out var type))
        {
            return false;
        }
        try
        {
            // A data section's size is the loader's to fill in; compilers write 0.
            return _btf.ResolveSize(typeId) == size || (type.Kind == BtfKind.DataSection && type.Size == 0);
        }
        catch (BpfException)
        {
            return false;
        }
    }

    /// <summary>Writes the value of <paramref name="bytes"/> as type <paramref name="typeId"/>; hex when the type does not describe them.</summary>
    public void Write(Utf8JsonWriter writer, uint typeId, ReadOnlySpan<byte> bytes)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteRawValue(Format(typeId, bytes));
    }

    /// <summary>The value as compact JSON text; hex (a JSON string) when the type does not describe the bytes.</summary>
    public string Format(uint typeId, ReadOnlySpan<byte> bytes)
    {
        if (!Describes(typeId, (uint)bytes.Length))
        {
            return JsonSerializer.Serialize(Convert.ToHexStringLower(bytes));
        }
        using var buffer = new MemoryStream();
        try
        {
            // A separate writer: a type that turns out not to fit part-way leaves no half-written value.
            using (var json = new Utf8JsonWriter(buffer))
            {
                WriteType(json, typeId, bytes, 0);
            }
            return Encoding.UTF8.GetString(buffer.ToArray());
        }
        catch (BpfException)
        {
            return JsonSerializer.Serialize(Convert.ToHexStringLower(bytes));
        }
    }

    private void WriteType(Utf8JsonWriter json, uint typeId, ReadOnlySpan<byte> bytes, int depth)
    {
        var type = _btf.SkipModifiers(typeId);
        if (depth > MaxDepth)
        {
            json.WriteStringValue(Convert.ToHexStringLower(bytes));
            return;
        }
        switch (type.Kind)
        {
            case BtfKind.Int:
                WriteInteger(json, type, bytes, 0, 0);
                break;
            case BtfKind.Enum or BtfKind.Enum64:
                WriteEnum(json, type, bytes);
                break;
            case BtfKind.Float when bytes.Length == 4:
                json.WriteNumberValue(BinaryPrimitives.ReadSingleLittleEndian(bytes));
                break;
            case BtfKind.Float when bytes.Length == 8:
                json.WriteNumberValue(BinaryPrimitives.ReadDoubleLittleEndian(bytes));
                break;
            case BtfKind.Pointer when bytes.Length == 8:
                json.WriteStringValue("0x" + BinaryPrimitives.ReadUInt64LittleEndian(bytes).ToString("x", CultureInfo.InvariantCulture));
                break;
            case BtfKind.Array:
                WriteArray(json, type, bytes, depth);
                break;
            case BtfKind.Struct or BtfKind.Union:
                json.WriteStartObject();
                WriteMembers(json, type, bytes, depth);
                json.WriteEndObject();
                break;
            case BtfKind.DataSection:
                WriteSection(json, type, bytes, depth);
                break;
            case BtfKind.Variable:
                WriteType(json, type.TypeId, bytes, depth + 1);
                break;
            default:
                json.WriteStringValue(Convert.ToHexStringLower(bytes));
                break;
        }
    }

    /// <summary>An integer, or a bitfield of <paramref name="bits"/> bits at <paramref name="bitOffset"/> (0: the whole type).</summary>
    private static void WriteInteger(Utf8JsonWriter json, BtfType type, ReadOnlySpan<byte> bytes, uint bitOffset, uint bits)
    {
        var info = type.Int!;
        bitOffset += info.BitOffset;
        if (bits == 0)
        {
            bits = info.Bits;
        }
        if (bits == 0 || bits > 128 || bitOffset + bits > bytes.Length * 8u)
        {
            json.WriteStringValue(Convert.ToHexStringLower(bytes));
            return;
        }
        var raw = (ReadInteger(bytes) >> (int)bitOffset) & (bits == 128 ? UInt128.MaxValue : (UInt128.One << (int)bits) - 1);
        if (info.IsBool && bits <= 8)
        {
            json.WriteBooleanValue(raw != 0);
            return;
        }
        if (info.IsSigned && bits < 128 && ((raw >> ((int)bits - 1)) & 1) != 0)
        {
            // Sign-extend from the field's width.
            var value = -(BigInteger)((UInt128.One << (int)bits) - raw);
            WriteNumber(json, value);
            return;
        }
        WriteNumber(json, (BigInteger)raw);
    }

    private static UInt128 ReadInteger(ReadOnlySpan<byte> bytes)
    {
        Span<byte> wide = stackalloc byte[16];
        bytes[..Math.Min(bytes.Length, 16)].CopyTo(wide);
        return BinaryPrimitives.ReadUInt128LittleEndian(wide);
    }

    /// <summary>Numbers beyond 64 bits are written as strings: JSON readers lose precision past 2^53 anyway, but not past 2^64 in .NET.</summary>
    private static void WriteNumber(Utf8JsonWriter json, BigInteger value)
    {
        if (value >= long.MinValue && value <= long.MaxValue)
        {
            json.WriteNumberValue((long)value);
        }
        else if (value >= 0 && value <= ulong.MaxValue)
        {
            json.WriteNumberValue((ulong)value);
        }
        else
        {
            json.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static void WriteEnum(Utf8JsonWriter json, BtfType type, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length is not (1 or 2 or 4 or 8))
        {
            json.WriteStringValue(Convert.ToHexStringLower(bytes));
            return;
        }
        var raw = (ulong)ReadInteger(bytes);
        // kind_flag marks a signed enum; compare in the enum's width either way.
        long value = type.KindFlag
            ? bytes.Length switch { 1 => (sbyte)raw, 2 => (short)raw, 4 => (int)raw, _ => (long)raw }
            : (long)raw;
        var mask = bytes.Length == 8 ? ulong.MaxValue : (1UL << (bytes.Length * 8)) - 1;
        foreach (var enumerator in type.EnumValues)
        {
            if (((ulong)enumerator.Value & mask) == (raw & mask))
            {
                json.WriteStringValue(enumerator.Name);
                return;
            }
        }
        if (type.KindFlag)
        {
            json.WriteNumberValue(value);
        }
        else
        {
            json.WriteNumberValue(raw);
        }
    }

    private void WriteArray(Utf8JsonWriter json, BtfType type, ReadOnlySpan<byte> bytes, int depth)
    {
        var info = type.Array!;
        var element = _btf.SkipModifiers(info.ElementTypeId);
        var elementSize = _btf.ResolveSize(info.ElementTypeId);
        if (info.Count == 0 || elementSize == 0 || (ulong)elementSize * info.Count != (ulong)bytes.Length)
        {
            json.WriteStringValue(Convert.ToHexStringLower(bytes));
            return;
        }
        if (element.Kind == BtfKind.Int && elementSize == 1 && (element.Int!.IsChar || element.Name.Contains("char", StringComparison.Ordinal)) && AsText(bytes) is { } text)
        {
            json.WriteStringValue(text);
            return;
        }
        json.WriteStartArray();
        for (var i = 0; i < info.Count; i++)
        {
            WriteType(json, info.ElementTypeId, bytes.Slice(i * (int)elementSize, (int)elementSize), depth + 1);
        }
        json.WriteEndArray();
    }

    /// <summary>A NUL-terminated (or full) char array that holds printable UTF-8, or null.</summary>
    private static string? AsText(ReadOnlySpan<byte> bytes)
    {
        var end = bytes.IndexOf((byte)0);
        var text = end < 0 ? bytes : bytes[..end];
        if (end >= 0 && bytes[end..].ContainsAnyExcept((byte)0))
        {
            return null;
        }
        foreach (var b in text)
        {
            if (b < 0x20 || b == 0x7f)
            {
                return null;
            }
        }
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(text);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>The members of a struct or union; an anonymous struct or union member's members are written in place, as C reads them.</summary>
    private void WriteMembers(Utf8JsonWriter json, BtfType type, ReadOnlySpan<byte> bytes, int depth)
    {
        for (var index = 0; index < type.Members.Count; index++)
        {
            var member = type.Members[index];
            var memberType = _btf.SkipModifiers(member.TypeId);
            var name = member.Name.Length > 0 ? member.Name : string.Create(CultureInfo.InvariantCulture, $"<anon{index}>");
            if (member.BitfieldSize != 0 || member.BitOffset % 8 != 0)
            {
                json.WritePropertyName(name);
                if (memberType.Kind == BtfKind.Int)
                {
                    WriteInteger(json, memberType, bytes, member.BitOffset, member.BitfieldSize);
                }
                else
                {
                    WriteBitfieldEnum(json, memberType, bytes, member);
                }
                continue;
            }
            var offset = member.BitOffset / 8;
            var size = _btf.ResolveSize(member.TypeId);
            if (offset + (ulong)size > (ulong)bytes.Length)
            {
                throw BpfException.Create(DiagnosticCodes.ObjectMalformed, $"member '{name}' of {_btf.TypeName(type.Id)} lies past the value");
            }
            var slice = bytes.Slice((int)offset, (int)size);
            if (member.Name.Length == 0 && memberType.Kind is BtfKind.Struct or BtfKind.Union && depth < MaxDepth)
            {
                WriteMembers(json, memberType, slice, depth + 1);
                continue;
            }
            json.WritePropertyName(name);
            WriteType(json, member.TypeId, slice, depth + 1);
        }
    }

    /// <summary>An enum bitfield: read the bits as an unsigned number, then name it.</summary>
    private static void WriteBitfieldEnum(Utf8JsonWriter json, BtfType type, ReadOnlySpan<byte> bytes, BtfMember member)
    {
        var bits = member.BitfieldSize == 0 ? type.Size * 8 : member.BitfieldSize;
        if (type.Kind is not (BtfKind.Enum or BtfKind.Enum64) || bits is 0 or > 64 || member.BitOffset + bits > bytes.Length * 8u)
        {
            json.WriteStringValue(Convert.ToHexStringLower(bytes));
            return;
        }
        var raw = (ulong)((ReadInteger(bytes) >> (int)member.BitOffset) & ((UInt128.One << (int)bits) - 1));
        var named = type.EnumValues.FirstOrDefault(e => (ulong)e.Value == raw);
        if (named is not null)
        {
            json.WriteStringValue(named.Name);
        }
        else
        {
            json.WriteNumberValue(raw);
        }
    }

    /// <summary>A global data section: its variables by name at their offsets.</summary>
    private void WriteSection(Utf8JsonWriter json, BtfType section, ReadOnlySpan<byte> bytes, int depth)
    {
        json.WriteStartObject();
        foreach (var variable in section.Variables)
        {
            if (!_btf.TryGetType(variable.TypeId, out var declared))
            {
                continue;
            }
            var offset = _variableOffsets.TryGetValue((section.Name, declared.Name), out var placed) ? placed : variable.Offset;
            if ((ulong)offset + variable.Size > (ulong)bytes.Length)
            {
                continue;
            }
            json.WritePropertyName(declared.Name.Length > 0 ? declared.Name : string.Create(CultureInfo.InvariantCulture, $"<offset {offset}>"));
            var slice = bytes.Slice((int)offset, (int)variable.Size);
            var valueType = declared.Kind == BtfKind.Variable ? declared.TypeId : declared.Id;
            if (Describes(valueType, variable.Size))
            {
                WriteType(json, valueType, slice, depth + 1);
            }
            else
            {
                json.WriteStringValue(Convert.ToHexStringLower(slice));
            }
        }
        json.WriteEndObject();
    }
}
