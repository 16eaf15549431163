using Bpftime.Isa;

namespace Bpftime.Compiler.Aot;

/// <summary>One program to compile ahead of time: its relocated instructions (ld_imm64 src 1/5 and 2/6 carry map indexes into <see cref="AotCompilation.Maps"/>).</summary>
public sealed record AotProgramSource(string Name, ReadOnlyMemory<Instruction> Instructions)
{
    /// <summary>The ELF section the program came from (for metadata and messages).</summary>
    public string? Section { get; init; }

    /// <summary>Stack bytes per frame; 512 unless the verifier proved less.</summary>
    public int StackSize { get; init; } = 512;

    /// <summary>
    /// Whether a verifier proved the program safe. Unverified programs (the default) are compiled with
    /// run-time checks of every load, store and atomic, and fault with a BpfException instead of
    /// touching memory they do not own; verified ones run without checks.
    /// </summary>
    public bool Verified { get; init; }

    /// <summary>
    /// For a verified program: whether the verifier proved every loop ends. When false the code is
    /// compiled without memory checks but counts back-edges, local calls and callbacks against the
    /// execution budget, and the metadata says so.
    /// </summary>
    public bool TerminationProven { get; init; } = true;

    /// <summary>Whether <see cref="Verified"/> rests on a verifier's proof rather than the user's trust; recorded in the metadata for loaders that require verification.</summary>
    public bool Proved { get; init; }

    /// <summary>Raw-memory context bytes the program was verified or built for, recorded in the metadata; null when unknown.</summary>
    public int? ContextSize { get; init; }

    /// <summary>Whether the program was verified or built for the (mem, len) contract (r1 points at exactly r2 bytes), recorded in the metadata.</summary>
    public bool ContextLengthInR2 { get; init; }

    /// <summary>
    /// Whether the program runs on a socket buffer the host builds (socket filter and tc programs with
    /// legacy packet loads, which are compiled inline); without it such loads are refused (BPF4057).
    /// </summary>
    public bool SocketBuffer { get; init; }

    /// <summary>The entry symbol; null derives one from <see cref="Name"/>.</summary>
    public string? Symbol { get; init; }
}
