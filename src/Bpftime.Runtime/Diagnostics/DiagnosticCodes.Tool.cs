namespace Bpftime.Diagnostics;

public static partial class DiagnosticCodes
{
    /// <summary>A command needs a program and the object has none.</summary>
    public const string ToolNoProgram = "BPF4180";

    /// <summary>--program names a program the object does not have.</summary>
    public const string ToolUnknownProgram = "BPF4181";

    /// <summary>A file given to a command cannot be read.</summary>
    public const string ToolInputUnreadable = "BPF4182";

    /// <summary>Hex input (plugin protocol) is malformed.</summary>
    public const string ToolBadHex = "BPF4183";

    /// <summary>The chosen engine cannot run on this machine.</summary>
    public const string ToolEngineUnavailable = "BPF4184";

    /// <summary>--helper-set names a set the runtime does not have.</summary>
    public const string ToolUnknownHelperSet = "BPF4185";

    /// <summary>A command-line argument or option value is missing, unknown or does not parse.</summary>
    public const string ToolBadArgument = "BPF4186";

    /// <summary>Information: the verifier proved a program memory-safe but not that this loop ends; it runs under the execution budget.</summary>
    public const string ToolLoopRunsUnderBudget = "BPF4187";

    /// <summary>A fault inside the bpftime command itself (not the input): the last-resort report instead of a stack trace; exit code 3.</summary>
    public const string ToolInternalError = "BPF4188";

    /// <summary>A program that reads its memory was given none: --mem was not given, so r1 is a null pointer.</summary>
    public const string ToolNoMemoryGiven = "BPF4189";
}
