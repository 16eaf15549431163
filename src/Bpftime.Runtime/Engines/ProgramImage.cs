using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Maps;

namespace Bpftime.Engines;

/// <summary>
/// A program ready for an engine: relocated instructions, the helpers it may call, and the maps its
/// ld_imm64 instructions refer to. In <see cref="Instructions"/>, ld_imm64 with src 1 or 5 carries an
/// index into <see cref="Maps"/>, and src 2 or 6 an index plus (in the second slot) a value offset.
/// </summary>
public sealed record ProgramImage(string Name, ReadOnlyMemory<Instruction> Instructions, HelperTable Helpers)
{
    public IReadOnlyList<BpfMap> Maps { get; init; } = [];

    /// <summary>
    /// True when the verifier proved the program safe: engines may then skip run-time memory checks.
    /// Unverified programs are checked on every access and fault with a BPF4xxx error.
    /// </summary>
    public bool Verified { get; init; }

    /// <summary>
    /// For a verified program: false when the verifier proved it memory-safe but could not prove that
    /// every loop ends, so engines still count back-edges, calls and callbacks against the execution
    /// budget. Ignored for unverified programs, which always run under the budget.
    /// </summary>
    public bool TerminationProven { get; init; } = true;

    /// <summary>Stack bytes per frame (512 unless the verifier proved less is needed).</summary>
    public int StackSize { get; init; } = 512;

    /// <summary>
    /// True when r1 is a socket buffer the host built (<see cref="SocketBufferLayout"/>: Linux's
    /// <c>struct __sk_buff</c> whose u32 data and data_end are real addresses below 4 GiB): the legacy
    /// packet loads (ld_abs, ld_ind) read the packet it describes. False: engines refuse those loads
    /// (BPF4057), since the context is raw memory, an XDP frame or a host struct.
    /// </summary>
    public bool SocketBuffer { get; init; }

    /// <summary>The source object, for messages; null for raw bytecode.</summary>
    public string? Origin { get; init; }
}
