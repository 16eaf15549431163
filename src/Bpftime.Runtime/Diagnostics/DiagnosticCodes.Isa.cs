namespace Bpftime.Diagnostics;

/// <summary>Bytecode structure (BPF1101-1149, the validator) and the text formats (BPF1150-1199, the assembler).</summary>
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

    // --- Assembler and conformance files: BPF1150-1199 ---

    /// <summary>The mnemonic is not part of the assembly dialect.</summary>
    public const string AssemblerUnknownMnemonic = "BPF1150";

    /// <summary>An operand that must be a register (%r0-%r10) is not one.</summary>
    public const string AssemblerInvalidRegister = "BPF1151";

    /// <summary>The instruction has too few or too many operands.</summary>
    public const string AssemblerOperandCount = "BPF1152";

    /// <summary>An immediate is not a number.</summary>
    public const string AssemblerInvalidImmediate = "BPF1153";

    /// <summary>An immediate does not fit its field.</summary>
    public const string AssemblerImmediateOutOfRange = "BPF1154";

    /// <summary>A memory operand is not of the form [%rN], [%rN+off] or [%rN-off].</summary>
    public const string AssemblerInvalidMemoryOperand = "BPF1155";

    /// <summary>An offset does not fit in 16 signed bits.</summary>
    public const string AssemblerOffsetOutOfRange = "BPF1156";

    /// <summary>A jump or call names a label that is not defined.</summary>
    public const string AssemblerUndefinedLabel = "BPF1157";

    /// <summary>A label is defined twice.</summary>
    public const string AssemblerDuplicateLabel = "BPF1158";

    /// <summary>A lock instruction names no operation or an unknown one.</summary>
    public const string AssemblerInvalidAtomic = "BPF1159";

    /// <summary>A label is too far away for the jump's offset field.</summary>
    public const string AssemblerJumpOutOfRange = "BPF1160";

    /// <summary>A call has an unknown form (expected call N, call local LABEL, call %rN).</summary>
    public const string AssemblerInvalidCall = "BPF1161";

    /// <summary>A label name is not an identifier, or text follows where none is expected.</summary>
    public const string AssemblerSyntax = "BPF1162";

    /// <summary>A conformance .data file has a malformed raw, mem or result section.</summary>
    public const string ConformanceFileMalformed = "BPF1190";

    /// <summary>No path from the entry of the program (or of a function it calls) reaches an exit: it can only loop or run off the end.</summary>
    public const string NoReachableExit = "BPF1122";
}
