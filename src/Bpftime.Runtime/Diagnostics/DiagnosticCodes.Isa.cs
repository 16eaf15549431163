namespace Bpftime.Diagnostics;

/// <summary>Bytecode structure (BPF1101-1149, the validator). BPF1150-1199 belong to the assembler library's <c>AssemblerDiagnosticCodes</c>.</summary>
public static partial class DiagnosticCodes
{
    // --- ProgramValidator: BPF1101-1149 ---

    /// <summary>The program has no instructions.</summary>
    public const string EmptyProgram = "BPF1101";

    /// <summary>The opcode is not one of RFC 9669's, or not in the selected ISA version.</summary>
    public const string UnknownOpcode = "BPF1102";

    /// <summary>A register field names r11-r15.</summary>
    public const string InvalidRegister = "BPF1103";

    /// <summary>An instruction writes the read-only frame pointer r10.</summary>
    public const string WriteToFramePointer = "BPF1104";

    /// <summary>A jump lands outside the program.</summary>
    public const string JumpOutOfBounds = "BPF1105";

    /// <summary>A jump or call lands on the second slot of an ld_imm64.</summary>
    public const string JumpIntoLoadImm64 = "BPF1106";

    /// <summary>An ld_imm64 is the last slot, so its second half is missing.</summary>
    public const string LoadImm64Truncated = "BPF1107";

    /// <summary>The second slot of an ld_imm64 has a non-zero opcode, register or offset.</summary>
    public const string LoadImm64SecondSlotMalformed = "BPF1108";

    /// <summary>The src field of an ld_imm64 is not 0-6.</summary>
    public const string LoadImm64InvalidSource = "BPF1109";

    /// <summary>Execution can run past the last instruction, or no exit exists.</summary>
    public const string FallsOffEnd = "BPF1110";

    /// <summary>A local call's target is outside the program.</summary>
    public const string CallTargetOutOfBounds = "BPF1111";

    /// <summary>The program is longer than the configured instruction limit.</summary>
    public const string TooManyInstructions = "BPF1112";

    /// <summary>A byte-swap immediate is not 16, 32 or 64.</summary>
    public const string InvalidEndianWidth = "BPF1113";

    /// <summary>The offset of movsx is not 8, 16 or 32 (32 only in ALU64).</summary>
    public const string InvalidSignExtendWidth = "BPF1114";

    /// <summary>The offset of div or mod is not 0 (unsigned) or 1 (signed).</summary>
    public const string InvalidDivisionOffset = "BPF1115";

    /// <summary>An atomic instruction has an unknown operation or an unsupported width.</summary>
    public const string InvalidAtomicOperation = "BPF1116";

    /// <summary>A field the instruction does not use is not zero.</summary>
    public const string UnusedFieldNotZero = "BPF1117";

    /// <summary>callx (0x8d) appears but the options do not allow it.</summary>
    public const string CallxNotAllowed = "BPF1118";

    /// <summary>A helper call's id is negative or above the configured maximum.</summary>
    public const string InvalidHelperId = "BPF1119";

    /// <summary>A call's src field is not a helper, a local call or a kernel function.</summary>
    public const string InvalidCallSource = "BPF1120";

    /// <summary>A call to a kernel function by BTF id (src 2), which this runtime does not provide.</summary>
    public const string KernelFunctionCallNotSupported = "BPF1121";

    /// <summary>No path from the entry of the program (or of a function it calls) reaches an exit: it can only loop or run off the end.</summary>
    public const string NoReachableExit = "BPF1122";
}
