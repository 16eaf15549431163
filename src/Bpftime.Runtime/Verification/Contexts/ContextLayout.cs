using Bpftime.Objects;

namespace Bpftime.Verification;

/// <summary>
/// What r1 points at when a program starts, and which of its bytes the program may touch: raw memory
/// of a declared size (every byte readable and writable, r2 holding the size), one of Linux's context
/// structs (xdp_md, __sk_buff, pt_regs, ... see <see cref="LinuxContexts"/>), or a struct the host
/// declares field by field.
/// </summary>
public sealed record ContextLayout
{
    private ContextLayout(string name, int size, IReadOnlyList<ContextField> fields, bool isRawMemory)
    {
        Name = name;
        Size = size;
        Fields = fields;
        IsRawMemory = isRawMemory;
    }

    /// <summary>A name for messages ("raw memory", "xdp_md", the host's struct name).</summary>
    public string Name { get; }

    /// <summary>Bytes at r1 the program may access (fields lie within).</summary>
    public int Size { get; }

    public IReadOnlyList<ContextField> Fields { get; }

    /// <summary>True for plain memory: any access inside <see cref="Size"/> is allowed, at any offset.</summary>
    public bool IsRawMemory { get; }

    /// <summary>
    /// The Linux program type this is the context of, or null (raw memory, host structs): calls to
    /// helpers Linux does not offer that type are refused.
    /// </summary>
    public ProgramType? ProgramType { get; init; }

    /// <summary>
    /// Linux's access rules apply: loads aligned to their width and no wider than the field, stores
    /// of whole fields (or aligned elements of array fields).
    /// </summary>
    public bool LinuxAccessRules { get; init; }

    /// <summary>Plain memory of <paramref name="size"/> bytes (r1), its size in r2.</summary>
    public static ContextLayout RawMemory(int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        return new ContextLayout("raw memory", size, [new ContextField("memory", 0, size, Writable: true)], isRawMemory: true);
    }

    /// <summary>Linux's struct xdp_md: six u32 fields, read-only; data, data_end and data_meta load as packet pointers.</summary>
    public static ContextLayout Xdp { get; } = new("xdp_md", 24,
    [
        new ContextField("data", 0, 4, Kind: ContextFieldKind.PacketStart),
        new ContextField("data_end", 4, 4, Kind: ContextFieldKind.PacketEnd),
        new ContextField("data_meta", 8, 4, Kind: ContextFieldKind.PacketMeta),
        new ContextField("ingress_ifindex", 12, 4),
        new ContextField("rx_queue_index", 16, 4),
        new ContextField("egress_ifindex", 20, 4),
    ], isRawMemory: false)
    { ProgramType = Objects.ProgramType.Xdp };

    /// <summary>A Linux context struct of <paramref name="type"/> (see <see cref="LinuxContexts"/>).</summary>
    internal static ContextLayout Linux(string name, int size, ProgramType type, IReadOnlyList<ContextField> fields) =>
        new(name, size, fields, isRawMemory: false) { ProgramType = type, LinuxAccessRules = true };

    /// <summary>A host-declared struct: <paramref name="size"/> bytes of which only <paramref name="fields"/> may be touched.</summary>
    public static ContextLayout Struct(string name, int size, params ContextField[] fields)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        foreach (var field in fields)
        {
            if (field.Offset < 0 || field.Size <= 0 || field.End > size)
            {
                throw new ArgumentException($"field '{field.Name}' ({field.Offset}..{field.End}) lies outside the {size}-byte context", nameof(fields));
            }
        }
        return new ContextLayout(name, size, fields, isRawMemory: false);
    }

    /// <summary>The field holding [offset, offset+size), or null.</summary>
    public ContextField? FieldAt(int offset, int size)
    {
        foreach (var field in Fields)
        {
            if (offset >= field.Offset && offset + size <= field.End)
            {
                return field;
            }
        }
        return null;
    }
}
