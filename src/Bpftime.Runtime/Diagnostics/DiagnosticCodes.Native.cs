namespace Bpftime.Diagnostics;

public static partial class DiagnosticCodes
{
    /// <summary>Executable memory could not be mapped or protected.</summary>
    public const string ExecutableMemoryUnavailable = "BPF4100";

    /// <summary>A helper's body threw while native code ran; the helper returned 0 and the run was ended with this fault.</summary>
    public const string HelperThrew = "BPF4099";
}
