namespace Bpftime.Verification;

/// <summary>What a register holds, as the verifier tracks it.</summary>
internal enum RegisterType : byte
{
    /// <summary>Never written on this path: reading it is an error.</summary>
    NotInitialized,
    /// <summary>A number, with the bounds in the register's <see cref="ScalarRange"/>.</summary>
    Scalar,
    /// <summary>The program's context (r1 at entry), plus an offset.</summary>
    Context,
    /// <summary>A frame's stack: r10 of some frame plus an offset.</summary>
    Stack,
    /// <summary>A map itself, from ld_imm64: only helpers may use it.</summary>
    MapPointer,
    /// <summary>An inner map from a lookup in a map of maps, not yet checked against null.</summary>
    MapPointerOrNull,
    /// <summary>A pointer into a map's value.</summary>
    MapValue,
    /// <summary>A map value pointer from a lookup, not yet checked against null.</summary>
    MapValueOrNull,
    /// <summary>A pointer into packet data (xdp_md.data plus an offset).</summary>
    Packet,
    /// <summary>The end of the packet (xdp_md.data_end): only for comparisons.</summary>
    PacketEnd,
    /// <summary>The packet's metadata area (xdp_md.data_meta).</summary>
    PacketMeta,
    /// <summary>A ring-buffer record from reserve: memory of a known size, to be released.</summary>
    RingBufferRecord,
    /// <summary>A ring-buffer record not yet checked against null.</summary>
    RingBufferRecordOrNull,
    /// <summary>Memory of a known size handed to a callback (for_each_map_elem's key).</summary>
    Memory,
    /// <summary>The address of a function of the program (ld_imm64 src 4), for callbacks.</summary>
    Function,
}

internal static class RegisterTypeExtensions
{
    public static bool IsPointer(this RegisterType type) => type is not (RegisterType.NotInitialized or RegisterType.Scalar);

    public static bool IsNullable(this RegisterType type) => type is RegisterType.MapValueOrNull or RegisterType.RingBufferRecordOrNull or RegisterType.MapPointerOrNull;

    /// <summary>The name used in messages, as C programmers meet these kinds.</summary>
    public static string Describe(this RegisterType type) => type switch
    {
        RegisterType.NotInitialized => "not initialised",
        RegisterType.Scalar => "a scalar",
        RegisterType.Context => "the context pointer",
        RegisterType.Stack => "a stack pointer",
        RegisterType.MapPointer => "a map pointer",
        RegisterType.MapPointerOrNull => "map_ptr_or_null",
        RegisterType.MapValue => "a map value pointer",
        RegisterType.MapValueOrNull => "map_value_or_null",
        RegisterType.Packet => "a packet pointer",
        RegisterType.PacketEnd => "the packet end pointer",
        RegisterType.PacketMeta => "a packet metadata pointer",
        RegisterType.RingBufferRecord => "a ring-buffer record",
        RegisterType.RingBufferRecordOrNull => "ringbuf_record_or_null",
        RegisterType.Memory => "a memory pointer",
        RegisterType.Function => "a function address",
        _ => type.ToString(),
    };
}
