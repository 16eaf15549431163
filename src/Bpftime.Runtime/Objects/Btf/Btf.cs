using System.Buffers.Binary;
using System.Text;
using Bpftime.Diagnostics;

namespace Bpftime.Objects;

/// <summary>
/// The BPF Type Format of an object (.BTF): every type by id (id 0 is void), the string table,
/// and lookups by name and size resolution. Parsing checks every length, string offset and type
/// id, and rejects loops of types that no pointer breaks, so walking the types always ends.
/// </summary>
public sealed class Btf
{
    public const ushort Magic = 0xeb9f;
    private const int MinimumHeaderLength = 24;
    private const int TypeHeaderSize = 12;

    private readonly byte[] _strings;
    private readonly BtfType[] _types;
    private readonly Dictionary<string, List<uint>> _byName;

    private Btf(BtfType[] types, byte[] strings)
    {
        _types = types;
        _strings = strings;
        _byName = new Dictionary<string, List<uint>>(StringComparer.Ordinal);
        foreach (var type in types)
        {
            if (type.Name.Length == 0)
            {
                continue;
            }
            if (!_byName.TryGetValue(type.Name, out var ids))
            {
                _byName[type.Name] = ids = [];
            }
            ids.Add(type.Id);
        }
    }

    /// <summary>Every type, indexed by id; entry 0 is void.</summary>
    public IReadOnlyList<BtfType> Types => _types;

    /// <summary>The raw string table (NUL-separated).</summary>
    public ReadOnlyMemory<byte> Strings => _strings;

    public BtfType this[uint id] => GetType(id);

    public BtfType GetType(uint id) =>
        id < (uint)_types.Length
            ? _types[id]
            : throw BpfException.Create(DiagnosticCodes.BtfTypeIdOutOfRange, $"BTF type id {id} is past the last type ({_types.Length - 1})");

    public bool TryGetType(uint id, out BtfType type)
    {
        if (id < (uint)_types.Length)
        {
            type = _types[id];
            return true;
        }
        type = _types[0];
        return false;
    }

    /// <summary>The first type with this name (and kind, when given), or null.</summary>
    public BtfType? FindByName(string name, BtfKind? kind = null)
    {
        if (!_byName.TryGetValue(name, out var ids))
        {
            return null;
        }
        foreach (var id in ids)
        {
            if (kind is null || _types[id].Kind == kind)
            {
                return _types[id];
            }
        }
        return null;
    }

    /// <summary>Every type with this name.</summary>
    public IReadOnlyList<BtfType> FindAllByName(string name) =>
        _byName.TryGetValue(name, out var ids) ? ids.Select(id => _types[id]).ToArray() : [];

    /// <summary>The string at an offset of the string table.</summary>
    public string GetString(uint offset) =>
        TryGetString(offset, out var text)
            ? text
            : throw BpfException.Create(DiagnosticCodes.BtfBadStringOffset, $"BTF string offset {offset} is outside the {_strings.Length}-byte string table");

    public bool TryGetString(uint offset, out string text)
    {
        text = string.Empty;
        if (offset >= (uint)_strings.Length)
        {
            return false;
        }
        var rest = _strings.AsSpan((int)offset);
        var end = rest.IndexOf((byte)0);
        if (end < 0)
        {
            return false;
        }
        text = Encoding.UTF8.GetString(rest[..end]);
        return true;
    }

    /// <summary>Follows typedefs and the const, volatile, restrict and type_tag modifiers to the underlying type.</summary>
    public BtfType SkipModifiers(uint id)
    {
        var type = GetType(id);
        for (var steps = 0; steps <= _types.Length; steps++)
        {
            if (type.Kind is not (BtfKind.Typedef or BtfKind.Const or BtfKind.Volatile or BtfKind.Restrict or BtfKind.TypeTag))
            {
                return type;
            }
            type = GetType(type.TypeId);
        }
        throw BpfException.Create(DiagnosticCodes.BtfCycle, $"BTF type {id} refers to itself through typedefs or modifiers");
    }

    /// <summary>
    /// The byte offset of the struct bpf_spin_lock member of the value type <paramref name="valueTypeId"/>, or null
    /// when it has none: a map whose value holds one takes BPF_F_LOCK updates and bpf_spin_lock.
    /// </summary>
    public int? SpinLockOffset(uint valueTypeId)
    {
        if (valueTypeId == 0 || !TryGetType(valueTypeId, out _))
        {
            return null;
        }
        var value = SkipModifiers(valueTypeId);
        if (value.Kind is not (BtfKind.Struct or BtfKind.Union))
        {
            return null;
        }
        foreach (var member in value.Members)
        {
            var type = SkipModifiers(member.TypeId);
            if (type.Kind == BtfKind.Struct && type.Name == "bpf_spin_lock" && member.BitOffset % 8 == 0)
            {
                return (int)(member.BitOffset / 8);
            }
        }
        return null;
    }

    /// <summary>The size in bytes of a type: pointers are 8, arrays multiply, modifiers and typedefs pass through; void, functions and forward declarations have size 0.</summary>
    public uint ResolveSize(uint id)
    {
        ulong multiplier = 1;
        var current = id;
        for (var steps = 0; steps <= _types.Length; steps++)
        {
            var type = GetType(current);
            switch (type.Kind)
            {
                case BtfKind.Pointer:
                    return Checked(multiplier * 8, id);
                case BtfKind.Array:
                    multiplier *= type.Array!.Count;
                    if (multiplier > uint.MaxValue)
                    {
                        throw Overflow(id);
                    }
                    current = type.Array.ElementTypeId;
                    break;
                case BtfKind.Typedef or BtfKind.Const or BtfKind.Volatile or BtfKind.Restrict or BtfKind.TypeTag or BtfKind.Variable or BtfKind.DeclTag:
                    current = type.TypeId;
                    break;
                default:
                    return type.HasSize ? Checked(multiplier * type.Size, id) : 0;
            }
        }
        throw BpfException.Create(DiagnosticCodes.BtfCycle, $"BTF type {id} refers to itself without a pointer between");
    }

    /// <summary>
    /// A C-like name for a type, for messages: "struct pair", "const int *", "unsigned char[16]",
    /// "int (*)(void *)". Depth is bounded, so even odd type graphs give a finite string.
    /// </summary>
    public string TypeName(uint id) => TypeName(id, 0);

    private string TypeName(uint id, int depth)
    {
        if (depth > 16)
        {
            return "...";
        }
        if (!TryGetType(id, out var type))
        {
            return $"<type {id}>";
        }
        string Named(string keyword) => type.Name.Length > 0 ? $"{keyword} {type.Name}" : $"{keyword} <anonymous>";
        return type.Kind switch
        {
            BtfKind.Void => "void",
            BtfKind.Int or BtfKind.Float or BtfKind.Typedef => type.Name,
            BtfKind.Struct => Named("struct"),
            BtfKind.Union => Named("union"),
            BtfKind.Enum or BtfKind.Enum64 => Named("enum"),
            BtfKind.Forward => Named(type.KindFlag ? "union" : "struct"),
            BtfKind.Pointer => TypeName(type.TypeId, depth + 1) + " *",
            BtfKind.Array => ArrayName(type, depth),
            BtfKind.Const => "const " + TypeName(type.TypeId, depth + 1),
            BtfKind.Volatile => "volatile " + TypeName(type.TypeId, depth + 1),
            BtfKind.Restrict => TypeName(type.TypeId, depth + 1) + " restrict",
            BtfKind.TypeTag => $"{TypeName(type.TypeId, depth + 1)} __attribute__((btf_type_tag(\"{type.Name}\")))",
            BtfKind.FunctionProto => $"{TypeName(type.TypeId, depth + 1)} (*)({string.Join(", ", type.Parameters.Select(p => p.TypeId == 0 ? "..." : TypeName(p.TypeId, depth + 1)))})",
            BtfKind.Function or BtfKind.Variable or BtfKind.DataSection or BtfKind.DeclTag => type.Name,
            _ => type.Name,
        };
    }

    /// <summary>C writes the outermost dimension first: an array of 3 of char[6] is char[3][6].</summary>
    private string ArrayName(BtfType type, int depth)
    {
        var dimensions = new System.Text.StringBuilder();
        var element = type;
        while (element.Kind == BtfKind.Array && depth <= 16)
        {
            dimensions.Append('[').Append(element.Array!.Count).Append(']');
            if (!TryGetType(element.Array.ElementTypeId, out element))
            {
                return $"<type {type.Id}>{dimensions}";
            }
            depth++;
        }
        return TypeName(element.Id, depth + 1) + dimensions;
    }

    private static uint Checked(ulong size, uint id) => size <= uint.MaxValue ? (uint)size : throw Overflow(id);

    private static BpfException Overflow(uint id) =>
        BpfException.Create(DiagnosticCodes.BtfSizeOverflow, $"the size of BTF type {id} does not fit in 32 bits");

    /// <summary>Parses a .BTF section.</summary>
    public static Btf Parse(ReadOnlySpan<byte> section, string? file = null)
    {
        BpfException Bad(string code, string message) => BpfException.Create(code, message, file);

        if (section.Length < MinimumHeaderLength)
        {
            throw Bad(DiagnosticCodes.BtfHeaderInvalid, $".BTF is {section.Length} bytes, shorter than its 24-byte header");
        }
        var magic = BinaryPrimitives.ReadUInt16LittleEndian(section);
        if (magic != Magic)
        {
            throw Bad(DiagnosticCodes.BtfHeaderInvalid, magic == 0x9feb
                ? ".BTF is big-endian; only little-endian BTF is supported"
                : $".BTF magic is 0x{magic:x4}, not 0xeb9f");
        }
        if (section[2] != 1)
        {
            throw Bad(DiagnosticCodes.BtfHeaderInvalid, $".BTF version {section[2]} is not 1");
        }
        var headerLength = BinaryPrimitives.ReadUInt32LittleEndian(section[4..]);
        var typeOffset = BinaryPrimitives.ReadUInt32LittleEndian(section[8..]);
        var typeLength = BinaryPrimitives.ReadUInt32LittleEndian(section[12..]);
        var stringOffset = BinaryPrimitives.ReadUInt32LittleEndian(section[16..]);
        var stringLength = BinaryPrimitives.ReadUInt32LittleEndian(section[20..]);
        if (headerLength < MinimumHeaderLength || headerLength > (uint)section.Length)
        {
            throw Bad(DiagnosticCodes.BtfHeaderInvalid, $".BTF header length {headerLength} is outside 24..{section.Length}");
        }
        var body = section[(int)headerLength..];
        if ((ulong)typeOffset + typeLength > (ulong)body.Length || (ulong)stringOffset + stringLength > (ulong)body.Length)
        {
            throw Bad(DiagnosticCodes.BtfHeaderInvalid,
                $".BTF types ({typeLength} bytes at {typeOffset}) or strings ({stringLength} bytes at {stringOffset}) lie outside its {body.Length}-byte body");
        }
        if (typeOffset % 4 != 0)
        {
            throw Bad(DiagnosticCodes.BtfHeaderInvalid, $".BTF type section offset {typeOffset} is not 4-byte aligned");
        }
        var strings = body.Slice((int)stringOffset, (int)stringLength).ToArray();
        if (strings.Length == 0 || strings[0] != 0 || strings[^1] != 0)
        {
            throw Bad(DiagnosticCodes.BtfHeaderInvalid, ".BTF string table must start and end with NUL");
        }
        var reader = new BtfTypeReader(body.Slice((int)typeOffset, (int)typeLength), strings, file);
        var types = reader.ReadAll();
        var btf = new Btf(types, strings);
        BtfValidator.Validate(types, file);
        return btf;
    }
}
