namespace Bpftime.Hosting;

/// <summary>The context a program was loaded for: its kind, the bytes it may read (raw memory, a host struct), and the struct's name.</summary>
/// <remarks>A class, not a record: nothing compares contexts or copies one, and a record loads its <c>IEquatable</c> as well at every load.</remarks>
internal sealed class ProgramContext(BpfContextKind kind, int size = 0, string? typeName = null)
{
    public BpfContextKind Kind { get; } = kind;

    public int Size { get; } = size;

    public string? TypeName { get; } = typeName;

    public static ProgramContext Xdp { get; } = new(BpfContextKind.XdpFrame);

    /// <summary>A socket buffer, verified against Linux's <c>__sk_buff</c> rules for <paramref name="type"/> (socket filter or tc).</summary>
    public static ProgramContext ForSocketBuffer(Objects.ProgramType type) => new(BpfContextKind.SocketBuffer) { LinuxType = type };

    /// <summary>For <see cref="BpfContextKind.SocketBuffer"/>: the program type whose __sk_buff access rules apply.</summary>
    public Objects.ProgramType LinuxType { get; init; }

    /// <summary>The (mem, len) contract: r1 points at exactly r2 bytes, whatever their number.</summary>
    public static ProgramContext MemoryWithLength { get; } = new(BpfContextKind.MemoryWithLength);

    /// <summary>Raw memory of <paramref name="size"/> bytes; a proof for 0 bytes means the program never reads its context.</summary>
    public static ProgramContext Raw(int size, bool proved) => proved && size == 0 ? new(BpfContextKind.None) : new(BpfContextKind.RawMemory, size);

    public override string ToString() => Kind switch
    {
        BpfContextKind.XdpFrame => "an XDP frame",
        BpfContextKind.SocketBuffer => "a socket buffer (__sk_buff)",
        BpfContextKind.HostStruct => $"host struct '{TypeName}' ({Size} bytes)",
        BpfContextKind.None => "no context",
        BpfContextKind.MemoryWithLength => "memory of r2 bytes at r1 (mem, len)",
        _ => $"raw memory of at least {Size} byte(s)",
    };
}
