using Bpftime.Helpers;

namespace Bpftime.Engines.X64;

/// <summary>
/// Machine code before placement: the bytes, where to enter (the program, the body for tail calls,
/// the callback entry or -1), and the helpers the code calls
/// (kept alive by the executable, since the code holds their native entries). <see cref="InstructionOffsets"/>
/// has one entry per slot plus the end of the body, for disassembly and profiling.
/// </summary>
internal sealed record CompiledProgram(
    byte[] Code,
    int EntryOffset,
    int BodyEntryOffset,
    int CallbackEntryOffset,
    CallxTable? Callx,
    IReadOnlyList<HelperFunction> Helpers,
    int FrameSize,
    int[] InstructionOffsets);

/// <summary>Where the callx dispatch table sits in the code, and how many ids it covers.</summary>
internal sealed record CallxTable(int Offset, int Count);
