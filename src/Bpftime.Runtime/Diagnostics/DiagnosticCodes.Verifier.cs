namespace Bpftime.Diagnostics;

/// <summary>The verifier (BPF2001-2999): one code per safety rule a program can break.</summary>
public static partial class DiagnosticCodes
{
    /// <summary>A register is read before anything was written to it.</summary>
    public const string VerifierUninitializedRegister = "BPF2001";

    /// <summary>Stack bytes are read before they were written.</summary>
    public const string VerifierUninitializedStack = "BPF2002";

    /// <summary>A stack access outside the frame's 512 bytes, or at a variable offset that may be.</summary>
    public const string VerifierStackOutOfBounds = "BPF2003";

    /// <summary>A context access outside the declared context or not allowed for the program type.</summary>
    public const string VerifierInvalidContextAccess = "BPF2004";

    /// <summary>A map value access that may fall outside the value.</summary>
    public const string VerifierMapValueOutOfBounds = "BPF2005";

    /// <summary>A packet access not proven to lie between data and data_end.</summary>
    public const string VerifierPacketOutOfBounds = "BPF2006";

    /// <summary>A pointer that may be null (map lookup, ring-buffer reserve) used before a null check.</summary>
    public const string VerifierPossibleNullDereference = "BPF2007";

    /// <summary>A load or store through something that is not a pointer to memory (scalar, map, packet end).</summary>
    public const string VerifierInvalidMemoryAccess = "BPF2008";

    /// <summary>Arithmetic a pointer of this kind does not allow (multiplication, pointer+pointer, map pointers).</summary>
    public const string VerifierProhibitedPointerArithmetic = "BPF2009";

    /// <summary>A pointer moved by a value whose bounds are unknown.</summary>
    public const string VerifierUnboundedPointerArithmetic = "BPF2010";

    /// <summary>A pointer stored where the program's host or other programs could read it (map, context, packet, record).</summary>
    public const string VerifierPointerLeak = "BPF2011";

    /// <summary>The program returns a pointer in r0.</summary>
    public const string VerifierPointerReturned = "BPF2012";

    /// <summary>A write to read-only memory (.rodata, read-only context fields).</summary>
    public const string VerifierReadOnlyWrite = "BPF2013";

    /// <summary>A loop that returns to an identical state, so it can never end.</summary>
    public const string VerifierInfiniteLoop = "BPF2014";

    /// <summary>More instructions processed than the budget: a loop too long to prove finite, or too many paths.</summary>
    public const string VerifierTooComplex = "BPF2015";

    /// <summary>A ring-buffer record reserved on some path is neither submitted nor discarded before exit.</summary>
    public const string VerifierUnreleasedReference = "BPF2016";

    /// <summary>A helper argument of the wrong kind (scalar for pointer, uninitialised memory, wrong map).</summary>
    public const string VerifierInvalidHelperArgument = "BPF2017";

    /// <summary>A memory argument whose size may exceed the memory, or a size that is unbounded or zero.</summary>
    public const string VerifierInvalidHelperSize = "BPF2018";

    /// <summary>A call to a helper id the verifier has no prototype for, or the host does not provide.</summary>
    public const string VerifierUnknownHelper = "BPF2019";

    /// <summary>Bpf-to-bpf calls nested deeper than the limit.</summary>
    public const string VerifierCallDepthExceeded = "BPF2020";

    /// <summary>The stacks of a call chain together exceed the combined limit.</summary>
    public const string VerifierStackDepthExceeded = "BPF2021";

    /// <summary>A function calls itself, directly or through others.</summary>
    public const string VerifierRecursiveCall = "BPF2022";

    /// <summary>ld_imm64 names a map the object does not have, or a value offset past its end.</summary>
    public const string VerifierInvalidMapReference = "BPF2023";

    /// <summary>An instruction the verifier cannot prove safe in any program (legacy packet loads, kfuncs, callx).</summary>
    public const string VerifierUnsupportedInstruction = "BPF2024";

    /// <summary>A pointer stored to the stack partially or misaligned, so it cannot be read back as a pointer.</summary>
    public const string VerifierInvalidPointerSpill = "BPF2025";

    /// <summary>A helper given a map of a type it does not work on (tail call without a program array, reserve without a ring buffer).</summary>
    public const string VerifierMapTypeMismatch = "BPF2026";

    /// <summary>A callback (bpf_loop, for_each_map_elem) that is not a function of the program or returns other than 0 or 1.</summary>
    public const string VerifierInvalidCallback = "BPF2027";

    /// <summary>A jump from one function of the program into another, or a function that runs into the next.</summary>
    public const string VerifierJumpOutOfFunction = "BPF2028";

    /// <summary>A pointer into a function's stack that outlives the call (returned, or stored in a caller's frame).</summary>
    public const string VerifierDanglingStackPointer = "BPF2029";

    /// <summary>An atomic operation on memory that does not allow it, or with a pointer operand.</summary>
    public const string VerifierInvalidAtomic = "BPF2030";

    /// <summary>Instructions no path reaches (a warning).</summary>
    public const string VerifierUnreachableCode = "BPF2031";

    /// <summary>A tail call made while a ring-buffer record is still held.</summary>
    public const string VerifierTailCallWithReference = "BPF2032";

    /// <summary>A misaligned access to the context or to packet-pointer fields.</summary>
    public const string VerifierMisalignedAccess = "BPF2033";

    /// <summary>A released ring-buffer record used again (submitted twice, or written after submit).</summary>
    public const string VerifierReleasedReference = "BPF2034";

    /// <summary>A spin lock taken twice, released without being held, held at exit, or held across a call.</summary>
    public const string VerifierSpinLockMisuse = "BPF2035";

    /// <summary>Verification stopped at a resource limit (time, or states kept in memory) before the program was proven.</summary>
    public const string VerifierResourceLimit = "BPF2036";

    /// <summary>A callback releases a ring-buffer record reserved outside it (it may run 0 or many times).</summary>
    public const string VerifierCallbackReleasesOuterReference = "BPF2037";

    /// <summary>Callback loops nested inside each other could together make more calls than allowed.</summary>
    public const string VerifierNestedCallbacksTooLong = "BPF2038";

    /// <summary>The host asked for proven termination and a loop's end could not be proven (it stays memory-safe).</summary>
    public const string VerifierTerminationNotProven = "BPF2039";

    /// <summary>The verifier itself failed on this program (a defect to report); the program is refused.</summary>
    public const string VerifierInternalError = "BPF2099";

    /// <summary>A program calls a helper that Linux does not offer to its program type (the type's func_proto refuses it).</summary>
    public const string VerifierHelperNotForProgramType = "BPF2055";

    /// <summary>A context field accessed with the wrong width (a write not of the whole field, a load wider than it, or a narrow load Linux refuses).</summary>
    public const string VerifierContextFieldSize = "BPF2056";

    /// <summary>A context field the program's type may not read or write (Linux's is_valid_access refuses it), or a pointer field the verifier does not track.</summary>
    public const string VerifierContextFieldNotAccessible = "BPF2057";

    /// <summary>A helper takes or returns a pointer kind the verifier does not track (sockets from sk_lookup_tcp, BTF objects): the call is refused.</summary>
    public const string VerifierUntrackedHelperPointer = "BPF2058";

    /// <summary>A legacy packet load (ld_abs, ld_ind) where Linux does not allow one: wrong program type, r6 not the context, in a subprogram, or with a lock or record held.</summary>
    public const string VerifierLegacyPacketLoad = "BPF2050";
}
