using Bpftime.Diagnostics;
using Bpftime.Objects;

namespace Bpftime.Tool.Build;

/// <summary>
/// Points a diagnostic at the C source line of the instruction it concerns, when the object
/// carries BTF line info; otherwise at the object file. Relative source names (as written with
/// -fdebug-prefix-map) are taken relative to the object's folder.
/// </summary>
internal static class SourceLocator
{
    public static BpfDiagnostic Locate(BpfDiagnostic diagnostic, string objectPath, BpfObjectFile? file)
    {
        var located = diagnostic with { File = diagnostic.File ?? objectPath };
        if (file is null || diagnostic.Program is null || diagnostic.InstructionIndex is not int index)
        {
            return located;
        }
        var line = file.FindProgram(diagnostic.Program)?.LineAt(index);
        if (line is null || string.IsNullOrEmpty(line.FileName) || line.Line <= 0)
        {
            return located;
        }
        var source = Path.IsPathRooted(line.FileName)
            ? line.FileName
            : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(objectPath)) ?? ".", line.FileName));
        return located with { File = source, Line = line.Line, Column = Math.Max(line.Column, 0) };
    }
}
