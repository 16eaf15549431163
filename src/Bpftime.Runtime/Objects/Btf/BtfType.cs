namespace Bpftime.Objects;

/// <summary>
/// One BTF type. Common fields come from struct btf_type; the kind-specific tail is in the
/// matching property (members for struct/union, values for enums, and so on), empty otherwise.
/// </summary>
public sealed record BtfType(uint Id, BtfKind Kind, string Name, bool KindFlag, int VariableLength, uint SizeOrType)
{
    /// <summary>Byte size, for kinds that carry one (int, struct, union, enum, enum64, datasec, float).</summary>
    public uint Size => HasSize ? SizeOrType : 0;

    /// <summary>The referred type, for kinds that carry one (pointer, typedef, modifiers, func, func_proto's return, var, decl_tag, type_tag).</summary>
    public uint TypeId => HasSize ? 0 : SizeOrType;

    public bool HasSize => Kind is BtfKind.Int or BtfKind.Struct or BtfKind.Union or BtfKind.Enum
        or BtfKind.Enum64 or BtfKind.DataSection or BtfKind.Float;

    public BtfIntInfo? Int { get; init; }

    public BtfArrayInfo? Array { get; init; }

    public IReadOnlyList<BtfMember> Members { get; init; } = [];

    public IReadOnlyList<BtfEnumValue> EnumValues { get; init; } = [];

    public IReadOnlyList<BtfParameter> Parameters { get; init; } = [];

    public IReadOnlyList<BtfDataSectionVariable> Variables { get; init; } = [];

    /// <summary>Linkage of a var (0 static, 1 global, 2 extern) or a func (same values, from vlen).</summary>
    public uint Linkage { get; init; }

    /// <summary>For decl_tag: -1 when the tag is on the type itself, else the member or parameter index.</summary>
    public int ComponentIndex { get; init; }

    public override string ToString() => $"[{Id}] {Kind} '{Name}'";
}
