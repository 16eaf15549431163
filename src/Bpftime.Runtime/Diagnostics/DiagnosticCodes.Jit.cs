namespace Bpftime.Diagnostics;

public static partial class DiagnosticCodes
{
    /// <summary>The direct JIT needs an x86-64 host.</summary>
    public const string JitUnavailable = "BPF4020";

    /// <summary>An opcode (or opcode/offset/immediate combination) the JIT does not know.</summary>
    public const string JitUnsupportedInstruction = "BPF4021";

    /// <summary>A register number above r10, or a write to the read-only frame pointer r10.</summary>
    public const string JitInvalidRegister = "BPF4022";

    /// <summary>A jump or local call whose target lies outside the program or inside an ld_imm64.</summary>
    public const string JitInvalidJumpTarget = "BPF4023";

    /// <summary>A helper id the program's helper table does not hold.</summary>
    public const string JitUnknownHelper = "BPF4024";

    /// <summary>An ld_imm64 form the JIT cannot bind (variable addresses, or a map index out of range).</summary>
    public const string JitUnsupportedLoadImm64 = "BPF4025";

    /// <summary>The program is empty, or too large for the JIT's limits.</summary>
    public const string JitProgramSize = "BPF4026";

    /// <summary>Run time: a load, store or atomic touched memory outside the context, the live stack frames and the map values.</summary>
    public const string JitMemoryOutOfBounds = "BPF4030";

    /// <summary>Run time: a store or atomic wrote a read-only region (a read-only map value).</summary>
    public const string JitWriteToReadOnlyMemory = "BPF4031";

    /// <summary>Run time: local calls nested deeper than the JIT's frame limit.</summary>
    public const string JitCallDepthExceeded = "BPF4032";

    /// <summary>Run time: callx (call %reg) with an id that names no helper of the table.</summary>
    public const string JitUnknownHelperAtRunTime = "BPF4033";

    /// <summary>Run time: execution ran past the last instruction without an exit.</summary>
    public const string JitFellOffEnd = "BPF4034";

    /// <summary>Run time: the executable was used after it was disposed.</summary>
    public const string JitExecutableDisposed = "BPF4035";

    /// <summary>Run time: an atomic operation on an address not aligned to its size (checked mode).</summary>
    public const string JitMisalignedAtomic = "BPF4036";

    /// <summary>A tail call was refused: no run in progress, the limit of 33 reached, or frames of another size.</summary>
    public const string JitTailCallRefused = "BPF4037";
}
