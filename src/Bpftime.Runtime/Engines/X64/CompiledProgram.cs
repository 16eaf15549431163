using Bpftime.Helpers;

namespace Bpftime.Engines.X64;

/// <summary>
/// Machine code before placement: the bytes, where to enter, the absolute code addresses still to
/// patch once the code's final address is known (ld_imm64 src 4), and the helpers the code calls
/// (kept alive by the executable, since the code holds their native entries). <see cref="InstructionOffsets"/>
/// has one entry per slot plus the end of the body, for disassembly and profiling.
/// </summary>
internal sealed record CompiledProgram(
    byte[] Code,
    int EntryOffset,
    int BodyEntryOffset,
    IReadOnlyList<(int Position, int Target)> CodeAddresses,
    CallxTable? Callx,
    IReadOnlyList<HelperFunction> Helpers,
    int FrameSize,
    int[] InstructionOffsets)
{
    /// <summary>
    /// Where the callback entry starts, or -1 when the program takes no code addresses: a C-callable
    /// <c>u64 f(u64* r1to5, void* function, RunState*)</c> that sets up a fresh run and jumps to one
    /// of the program's functions (see <see cref="ProgramCallback"/>).
    /// </summary>
    public int CallbackEntryOffset { get; init; } = -1;
}

/// <summary>Where the callx dispatch table sits in the code, and how many ids it covers.</summary>
internal sealed record CallxTable(int Offset, int Count);
