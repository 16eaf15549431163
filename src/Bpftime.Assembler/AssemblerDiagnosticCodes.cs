namespace Bpftime.Isa;

/// <summary>
/// Codes of the assembler and of the conformance file reader (BPF1150-1199). They live with the test
/// tooling, not in the runtime, which never reads text; the range stays reserved in the runtime's own list.
/// </summary>
public static class AssemblerDiagnosticCodes
{
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
}
