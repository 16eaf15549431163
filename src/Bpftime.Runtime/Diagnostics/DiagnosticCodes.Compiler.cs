namespace Bpftime.Diagnostics;

public static partial class DiagnosticCodes
{
    /// <summary>No usable libLLVM (15 or newer) was found; names the packages and BPFTIME_LLVM_PATH.</summary>
    public const string LlvmNotFound = "BPF3001";

    /// <summary>The libLLVM found lacks a function the compiler needs (too old or built without it).</summary>
    public const string LlvmFunctionMissing = "BPF3002";

    /// <summary>The program cannot be translated: an instruction the IR generator does not know, or a bad operand.</summary>
    public const string IrUnsupportedInstruction = "BPF3003";

    /// <summary>A jump or local call leaves the program, or lands inside an ld_imm64.</summary>
    public const string IrBadControlFlow = "BPF3004";

    /// <summary>A helper the program calls is not in its helper table.</summary>
    public const string IrUnknownHelper = "BPF3005";

    /// <summary>An ld_imm64 refers to a map index the program does not have.</summary>
    public const string IrUnknownMap = "BPF3006";

    /// <summary>Local calls recurse, or nest deeper than the limit.</summary>
    public const string IrCallDepth = "BPF3007";

    /// <summary>The generated module failed LLVM's verifier (a compiler bug; the message carries LLVM's text).</summary>
    public const string IrVerificationFailed = "BPF3008";

    /// <summary>The optimisation level is not 0-3, or the pass pipeline failed.</summary>
    public const string OptimizationFailed = "BPF3009";

    /// <summary>The target triple or CPU is not supported by this libLLVM.</summary>
    public const string TargetUnavailable = "BPF3010";

    /// <summary>LLVM could not emit the object file.</summary>
    public const string ObjectEmissionFailed = "BPF3011";

    /// <summary>The in-process JIT could not be created, could not compile, or could not find the entry.</summary>
    public const string JitFailed = "BPF3012";

    /// <summary>An AOT compilation was given no programs, or two programs with the same name.</summary>
    public const string AotInvalidInput = "BPF3013";

    /// <summary>
    /// Native code that does a map's lookups itself was compiled for a layout (kind, key and value
    /// size, max entries) that the map it is linked against does not have, or for a map class whose
    /// lookups code cannot do; or its storage symbol is malformed. Compile the object against the map.
    /// </summary>
    public const string InlineLookupLayoutMismatch = "BPF3030";

    /// <summary>
    /// The target CPU is not a processor this libLLVM knows for the triple (LLVM would ignore it and
    /// then abort the process), or is one that cannot run 64-bit code. Names a CPU, "generic" or "native".
    /// </summary>
    public const string TargetCpuUnknown = "BPF3031";
}
