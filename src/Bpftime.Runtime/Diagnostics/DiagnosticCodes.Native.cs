namespace Bpftime.Diagnostics;

public static partial class DiagnosticCodes
{
    /// <summary>Executable memory could not be mapped or protected.</summary>
    public const string ExecutableMemoryUnavailable = "BPF4100";
}
