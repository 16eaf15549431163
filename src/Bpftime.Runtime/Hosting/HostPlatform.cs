using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Bpftime.Hosting;

/// <summary>The runtime identifier whose native objects this process can link.</summary>
internal static class HostPlatform
{
    /// <summary>linux-x64 or linux-arm64, or null where no AOT target exists.</summary>
    /// <remarks>Worked out on each use (a load asks once) rather than kept: a static field's initializer is one more method run at start.</remarks>
    public static string? NativeRuntimeIdentifier => Detect();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
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
