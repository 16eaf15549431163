using System.Runtime.InteropServices;

namespace Bpftime.Hosting;

/// <summary>The runtime identifier whose native objects this process can link.</summary>
internal static class HostPlatform
{
    /// <summary>linux-x64 or linux-arm64, or null where no AOT target exists.</summary>
    public static string? NativeRuntimeIdentifier { get; } = Detect();

    private static string? Detect()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        return RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => "linux-x64",
            Architecture.Arm64 => "linux-arm64",
            _ => null,
        };
    }
}
