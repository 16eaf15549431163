using System.Buffers.Binary;
using System.Text;
using Bpftime.Diagnostics;

namespace Bpftime.Objects;

/// <summary>Reads the type section of .BTF into <see cref="BtfType"/>s, checking every length and name.</summary>
internal ref struct BtfTypeReader
{
    private readonly ReadOnlySpan<byte> _types;
    private readonly byte[] _strings;
    private readonly string? _file;
    private int _position;

    public BtfTypeReader(ReadOnlySpan<byte> types, byte[] strings, string? file)
    {
        _types = types;
        _strings = strings;
        _file = file;
        _position = 0;
    }

    public BtfType[] ReadAll()
    {
        var result = new List<BtfType> { new(0, BtfKind.Void, string.Empty, false, 0, 0) };
        while (_position < _types.Length)
        {
            result.Add(ReadOne((uint)result.Count));
        }
        return [.. result];
    }

    private BtfType ReadOne(uint id)
    {
        var nameOffset = U32(id);
        var info = U32(id);
        var sizeOrType = U32(id);
        var vlen = (int)(info & 0xffff);
        var kindValue = (info >> 24) & 0x1f;
        var kindFlag = (info >> 31) != 0;
        if (kindValue is 0 or > (uint)BtfKind.Enum64)
        {
            throw Bad(DiagnosticCodes.BtfUnknownKind, $"BTF type {id} has unknown kind {kindValue}");
        }
        var kind = (BtfKind)kindValue;
        var type = new BtfType(id, kind, Name(nameOffset, id), kindFlag, vlen, sizeOrType);
        switch (kind)
        {
            case BtfKind.Int:
                var encoding = U32(id);
                return type with { Int = new BtfIntInfo((byte)((encoding >> 24) & 0x0f), (byte)((encoding >> 16) & 0xff), (byte)(encoding & 0xff)) };
            case BtfKind.Array:
                return type with { Array = new BtfArrayInfo(U32(id), U32(id), U32(id)) };
            case BtfKind.Struct or BtfKind.Union:
                Need(vlen, 12, id);
                var members = new BtfMember[vlen];
                for (var i = 0; i < vlen; i++)
                {
                    var memberName = Name(U32(id), id);
                    var memberType = U32(id);
                    var offset = U32(id);
                    members[i] = kindFlag
                        ? new BtfMember(memberName, memberType, offset & 0xffffff, offset >> 24)
                        : new BtfMember(memberName, memberType, offset, 0);
                }
                return type with { Members = members };
            case BtfKind.Enum:
                Need(vlen, 8, id);
                var values = new BtfEnumValue[vlen];
                for (var i = 0; i < vlen; i++)
                {
                    var valueName = Name(U32(id), id);
                    var raw = U32(id);
                    values[i] = new BtfEnumValue(valueName, kindFlag ? (int)raw : raw);
                }
                return type with { EnumValues = values };
            case BtfKind.Enum64:
                Need(vlen, 12, id);
                var values64 = new BtfEnumValue[vlen];
                for (var i = 0; i < vlen; i++)
                {
                    var valueName = Name(U32(id), id);
                    var low = U32(id);
                    var high = U32(id);
                    values64[i] = new BtfEnumValue(valueName, (long)(((ulong)high << 32) | low));
                }
                return type with { EnumValues = values64 };
            case BtfKind.FunctionProto:
                Need(vlen, 8, id);
                var parameters = new BtfParameter[vlen];
                for (var i = 0; i < vlen; i++)
                {
                    parameters[i] = new BtfParameter(Name(U32(id), id), U32(id));
                }
                return type with { Parameters = parameters };
            case BtfKind.Variable:
                return type with { Linkage = U32(id) };
            case BtfKind.Function:
                return type with { Linkage = (uint)vlen };
            case BtfKind.DataSection:
                Need(vlen, 12, id);
                var variables = new BtfDataSectionVariable[vlen];
                for (var i = 0; i < vlen; i++)
                {
                    variables[i] = new BtfDataSectionVariable(U32(id), U32(id), U32(id));
                }
                return type with { Variables = variables };
            case BtfKind.DeclTag:
                return type with { ComponentIndex = (int)U32(id) };
            default:
                return type;
        }
    }

    private readonly void Need(int count, int recordSize, uint id)
    {
        if ((long)count * recordSize > _types.Length - _position)
        {
            throw Bad(DiagnosticCodes.BtfTypeTruncated, $"BTF type {id} lists {count} entries, which run past the end of the type section");
        }
    }

    private uint U32(uint id)
    {
        if (_types.Length - _position < 4)
        {
            throw Bad(DiagnosticCodes.BtfTypeTruncated, $"BTF type {id} runs past the end of the type section");
        }
        var value = BinaryPrimitives.ReadUInt32LittleEndian(_types[_position..]);
        _position += 4;
        return value;
    }

    private readonly string Name(uint offset, uint id)
    {
        if (offset >= (uint)_strings.Length)
        {
            throw Bad(DiagnosticCodes.BtfBadStringOffset, $"BTF type {id} names string offset {offset}, outside the {_strings.Length}-byte string table");
        }
        var rest = _strings.AsSpan((int)offset);
        var end = rest.IndexOf((byte)0);
        return Encoding.UTF8.GetString(rest[..end]);
    }

    private readonly BpfException Bad(string code, string message) => BpfException.Create(code, message, _file);
}
