using Bpftime.Diagnostics;
using Bpftime.Objects;

namespace Bpftime.Tool.Build;

/// <summary>Compiles an object ahead of time for the item's target and checks that the result links.</summary>
internal static class NativeBuild
{
    /// <summary>The native object's bytes, or null (with a diagnostic) when none can be made.</summary>
    public static byte[]? Compile(BuildItem item, BpfObjectFile file, IReadOnlyList<BpfProgramInfo> programs, List<BpfDiagnostic> diagnostics)
    {
        _ = file;
        _ = programs;
        diagnostics.Add(new BpfDiagnostic(DiagnosticCodes.NoAotTarget,
            $"this bpftime build has no ahead-of-time compiler for {item.Triple}; the object is embedded as bytecode only",
            DiagnosticSeverity.Warning, item.Source));
        return null;
    }
}
