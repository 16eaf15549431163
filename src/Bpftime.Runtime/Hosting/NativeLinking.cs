using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Helpers;
using Bpftime.Maps;
using Bpftime.Objects;

namespace Bpftime.Hosting;

/// <summary>Links an embedded native object against the object's maps and helpers, checking what its metadata expects.</summary>
internal static class NativeLinking
{
    /// <summary>One executable per program of <paramref name="file"/>, in its order; what must be freed later goes to <paramref name="owned"/>.</summary>
    public static IReadOnlyList<IBpfExecutable> Link(byte[] native, string resource, BpfObjectFile file, IReadOnlyList<BpfMap> maps,
        HelperTable helpers, List<IDisposable> owned) =>
        throw BpfException.Create(DiagnosticCodes.EngineUnavailable, "this runtime has no linker for native objects yet", resource);
}
