using System.Runtime.CompilerServices;
using Bpftime.Diagnostics;
using Bpftime.Maps;

namespace Bpftime.Hosting;

/// <summary>The layout checks typed map views make once, when they are created.</summary>
internal static class MapViewChecks
{
    public static TMap Kind<TMap>(BpfMap map, string view)
        where TMap : BpfMap
    {
        ArgumentNullException.ThrowIfNull(map);
        ObjectDisposedException.ThrowIf(map.IsDisposed, map);
        return map as TMap ?? throw new BpfException(new BpfDiagnostic(DiagnosticCodes.MapViewMismatch,
            $"map '{map.Name}' is of type {map.Type}; {view} needs a {typeof(TMap).Name}"));
    }

    public static void Size<T>(BpfMap map, string what, uint expected)
        where T : unmanaged
    {
        if (Unsafe.SizeOf<T>() != expected)
        {
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.MapViewMismatch,
                $"map '{map.Name}' has a {expected}-byte {what}, but {typeof(T).Name} is {Unsafe.SizeOf<T>()} bytes; use a type of the same size (check the C struct's padding)"));
        }
    }
}
