namespace Bpftime.Diagnostics;

/// <summary>Run-time faults (BPF4001-4099): raised while loading a program into an engine or while running it.</summary>
public static partial class DiagnosticCodes
{
    // Faults while running (BPF4001-4049).

    /// <summary>A load or store reaches past the context memory (r1..r1+r2 at entry).</summary>
    public const string ContextAccessOutOfBounds = "BPF4001";

    /// <summary>A load or store reaches outside the live stack frames (stack underflow or overflow).</summary>
    public const string StackAccessOutOfBounds = "BPF4002";

    /// <summary>A store or atomic targets memory that programs may only read (read-only map value).</summary>
    public const string WriteToReadOnlyMemory = "BPF4003";

    /// <summary>A load or store through a pointer that names no memory the program may reach (stale, forged or unknown).</summary>
    public const string UnknownMemoryAccess = "BPF4004";

    /// <summary>A load or store through a null or near-null pointer.</summary>
    public const string NullPointerAccess = "BPF4005";

    /// <summary>A load or store that starts inside a map value but runs past its end.</summary>
    public const string MapValueAccessOutOfBounds = "BPF4006";

    /// <summary>An atomic operation on an address that is not aligned to its size.</summary>
    public const string MisalignedAtomicAccess = "BPF4007";

    /// <summary>A call names a helper id the program's helper table does not hold.</summary>
    public const string UnknownHelper = "BPF4010";

    /// <summary>Local calls nested deeper than the frame limit.</summary>
    public const string CallDepthExceeded = "BPF4011";

    /// <summary>A jump or local call whose target lies outside the program.</summary>
    public const string JumpOutOfRange = "BPF4012";

    /// <summary>Execution ran past the last instruction without an exit.</summary>
    public const string FellOffEnd = "BPF4013";

    /// <summary>Execution reached the second slot of an ld_imm64, which is not an instruction.</summary>
    public const string ReachedLoadImm64Tail = "BPF4014";

    /// <summary>A helper failed with an exception that is not a diagnostic of its own.</summary>
    public const string HelperFailed = "BPF4015";

    /// <summary>An unverified program took more backward jumps, local calls and callbacks than its execution budget allows.</summary>
    public const string ExecutionBudgetExhausted = "BPF4016";

    // Refusals while loading into an engine (BPF4050-4099).

    /// <summary>An opcode (or an opcode with these offset/imm variants) that the engine does not implement.</summary>
    public const string UnsupportedInstruction = "BPF4050";

    /// <summary>ld_imm64 with src 3 (variable address by BTF id): there is no kernel variable to point at.</summary>
    public const string UnsupportedLoadImm64Source = "BPF4051";

    /// <summary>An ld_imm64 names a map index the program image does not hold, or a value offset out of range.</summary>
    public const string UnknownMapReference = "BPF4052";

    /// <summary>An ld_imm64 in the last slot, without its second half.</summary>
    public const string TruncatedLoadImm64 = "BPF4053";

    /// <summary>An instruction names a register beyond r10, or writes r10.</summary>
    public const string LoadInvalidRegister = "BPF4054";

    /// <summary>A program with no instructions.</summary>
    public const string LoadEmptyProgram = "BPF4055";

    /// <summary>A stack size the engine cannot provide.</summary>
    public const string InvalidStackSize = "BPF4056";

    // The run-time boundary between a program and the host (BPF4040-4049).

    /// <summary>A callback helper was given a value that is not a callback entry of the running program (a forged or foreign code address).</summary>
    public const string ForgedCallback = "BPF4040";

    /// <summary>A helper was given a map argument that is not the handle of a live map of the running program.</summary>
    public const string ForgedMapHandle = "BPF4041";

    /// <summary>bpf_ringbuf_submit or bpf_ringbuf_discard was given a pointer that is not a record the program holds.</summary>
    public const string ForgedRingBufferRecord = "BPF4042";

    /// <summary>A string argument of a helper has no NUL within the helper's limit.</summary>
    public const string HelperStringUnterminated = "BPF4043";

    /// <summary>More program runs nested on one thread than the runtime tracks.</summary>
    public const string RunsNestedTooDeep = "BPF4044";

    /// <summary>A checked program misused bpf_spin_lock: a second lock while holding one, an unlock of a lock it does not hold, or a lock that stayed taken past the wait limit (a corrupted lock word).</summary>
    public const string SpinLockMisuse = "BPF4045";

    /// <summary>A legacy packet load (ld_abs, ld_ind) given to an engine: no socket buffer runs here, so the program is refused at load.</summary>
    public const string LegacyPacketLoadUnsupported = "BPF4057";
}
