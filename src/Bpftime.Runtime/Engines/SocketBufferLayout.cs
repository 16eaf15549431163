namespace Bpftime.Engines;

/// <summary>
/// The socket buffer programs of socket filter and tc types run on: Linux's <c>struct __sk_buff</c>
/// (192 bytes), whose u32 data, data_end and data_meta are the packet's real addresses because the
/// host keeps the whole buffer below 4 GiB, so no engine rewrites their loads. The legacy packet loads
/// (ld_abs, ld_ind) read data and data_end through r6; a host builds the struct (Hosting's SocketBuffer).
/// </summary>
public static class SocketBufferLayout
{
    /// <summary>The C name the verifier's layout has.</summary>
    public const string StructName = "__sk_buff";

    /// <summary>sizeof(struct __sk_buff).</summary>
    public const int Size = 192;

    public const int Len = 0;
    public const int PktType = 4;
    public const int Mark = 8;
    public const int Protocol = 16;
    public const int Priority = 32;
    public const int IngressIfindex = 36;
    public const int Ifindex = 40;
    public const int Cb = 48;
    public const int TcClassid = 72;
    public const int Data = 76;
    public const int DataEnd = 80;
    public const int DataMeta = 140;
    public const int WireLen = 160;

    /// <summary>
    /// The packet offset a legacy packet load reads, as Linux computes it: imm for ld_abs; for ld_ind the
    /// low 32 bits of src plus imm, wrapping in 32 bits. Read as a signed 32-bit number: a negative offset
    /// is out of the packet (Linux's SKF_NET_OFF and SKF_LL_OFF ancillary areas are not provided).
    /// </summary>
    public static int LegacyLoadOffset(int imm, ulong src, bool indirect) => indirect ? unchecked((int)((uint)src + (uint)imm)) : imm;

    /// <summary>Whether <paramref name="size"/> bytes at <paramref name="offset"/> lie in a packet of <paramref name="length"/> bytes; otherwise the program ends with r0 = 0.</summary>
    public static bool LegacyLoadInBounds(int offset, int size, ulong length) => offset >= 0 && (ulong)offset + (ulong)size <= length;
}
