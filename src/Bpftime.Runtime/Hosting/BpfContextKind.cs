namespace Bpftime.Hosting;

/// <summary>
/// What r1 must point at when a program runs: the context it was verified (or compiled) for. A
/// program runs only through the calls of its kind, since a verified program reads pointers and
/// lengths out of its context without checking them.
/// </summary>
public enum BpfContextKind
{
    /// <summary>Raw memory of at least <see cref="BpfProgram.ContextSize"/> bytes: <c>Run(span)</c>, <c>Run(ref T)</c> or <c>Run()</c> when the size is 0.</summary>
    RawMemory,

    /// <summary>Proved never to read its context: <c>Run()</c>, or any span or struct (it is not read).</summary>
    None,

    /// <summary>An XDP frame (Linux's <c>struct xdp_md</c>): only <c>RunXdp</c>.</summary>
    XdpFrame,

    /// <summary>A host struct declared in <see cref="BpfLoadOptions.ContextTypes"/>: <c>Run(ref T, type)</c> with that type, or <c>Run(ref T)</c> with a struct of its size.</summary>
    HostStruct,

    /// <summary>
    /// The (mem, len) contract (<see cref="BpfLoadOptions.MemoryWithLength"/>): r1 points at a buffer of
    /// any length and r2 is exactly that length; the program may touch r1[0, r2) only. <c>Run(span)</c>
    /// (r2 = the span's length), <c>Run(ref T)</c> (r2 = its size) or <c>Run()</c> (r1 = r2 = 0); a
    /// host struct run with a declared type, or an XDP frame, is refused.
    /// </summary>
    MemoryWithLength,

    /// <summary>
    /// A socket buffer (Linux's <c>struct __sk_buff</c>, built by <see cref="SocketBuffer"/>): only
    /// <c>RunSocketBuffer</c>. Socket filter and tc programs that use the legacy packet loads (ld_abs,
    /// ld_ind) are loaded for it.
    /// </summary>
    SocketBuffer,
}
