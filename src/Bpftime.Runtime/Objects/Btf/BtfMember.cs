namespace Bpftime.Objects;

/// <summary>A struct or union member. <see cref="BitOffset"/> is from the start of the aggregate;
/// <see cref="BitfieldSize"/> is 0 unless the member is a bitfield (kind_flag set).</summary>
public sealed record BtfMember(string Name, uint TypeId, uint BitOffset, uint BitfieldSize);

/// <summary>An enumerator of an enum or enum64.</summary>
public sealed record BtfEnumValue(string Name, long Value);

/// <summary>A parameter of a function prototype; the name is empty in prototypes of pointers.</summary>
public sealed record BtfParameter(string Name, uint TypeId);

/// <summary>A variable (or function) placed in a data section: its type id, offset and size.</summary>
public sealed record BtfDataSectionVariable(uint TypeId, uint Offset, uint Size);

/// <summary>The element type, index type and element count of an array.</summary>
public sealed record BtfArrayInfo(uint ElementTypeId, uint IndexTypeId, uint Count);

/// <summary>An integer's encoding: signedness, char, bool (BTF_INT_* bits), bit offset and bit width.</summary>
public sealed record BtfIntInfo(byte Encoding, byte BitOffset, byte Bits)
{
    public bool IsSigned => (Encoding & 1) != 0;

    public bool IsChar => (Encoding & 2) != 0;

    public bool IsBool => (Encoding & 4) != 0;
}
