using System.Runtime.InteropServices;

namespace Bpftime.Build.Tasks;

/// <summary>Which native target a runtime identifier means for ahead-of-time compilation.</summary>
internal static class TargetPlatform
{
    /// <summary>
    /// The architecture RID the runtime looks for (linux-x64, linux-arm64) and the LLVM triple, or
    /// false when the RID has no AOT target (the object then runs on the jit or interpreter).
    /// An empty RID means the machine that builds.
    /// </summary>
    public static bool TryResolve(string? runtimeIdentifier, out string rid, out string triple)
    {
        var architecture = string.IsNullOrEmpty(runtimeIdentifier)
            ? HostArchitecture()
            : ArchitectureOf(runtimeIdentifier!);
        var linux = string.IsNullOrEmpty(runtimeIdentifier) || runtimeIdentifier!.StartsWith("linux", StringComparison.OrdinalIgnoreCase);
        switch (architecture)
        {
            case "x64" when linux:
                rid = "linux-x64";
                triple = "x86_64-unknown-linux-gnu";
                return true;
            case "arm64" when linux:
                rid = "linux-arm64";
                triple = "aarch64-unknown-linux-gnu";
                return true;
            default:
                rid = runtimeIdentifier ?? "";
                triple = "";
                return false;
        }
    }

    private static string ArchitectureOf(string runtimeIdentifier)
    {
        var dash = runtimeIdentifier.LastIndexOf('-');
        return dash < 0 ? "" : runtimeIdentifier.Substring(dash + 1).ToLowerInvariant();
    }

    private static string HostArchitecture() => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "x64",
        Architecture.Arm64 => "arm64",
        _ => RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant(),
    };
}
