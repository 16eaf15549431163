using Bpftime.Diagnostics;
using Bpftime.Objects;

namespace Bpftime.Tool.Build;

/// <summary>
/// Points a diagnostic at the C source line of the instruction it concerns, when the object
/// carries BTF line info; otherwise at the object file. Relative source names (as written with
/// -fdebug-prefix-map) are taken relative to the object's folder. clang gives some instructions of
/// inlined code line 0 (no line); such a diagnostic takes the nearest earlier line of the same
/// function and says so in its message.
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
        var program = file.FindProgram(diagnostic.Program);
        if (program is null || Known(program.LineAt(index)) is not { } line)
        {
            return program is null ? located : Nearest(located, program, index, objectPath);
        }
        return At(located, line, objectPath);
    }

    private static BpfLineInfo? Known(BpfLineInfo? line) =>
        line is not null && !string.IsNullOrEmpty(line.FileName) && line.Line > 0 ? line : null;

    /// <summary>The last instruction before <paramref name="index"/> with a line, not crossing the start of its function.</summary>
    private static BpfDiagnostic Nearest(BpfDiagnostic located, BpfProgramInfo program, int index, string objectPath)
    {
        var functionStart = program.FuncInfo.Where(f => f.InstructionIndex <= index).Select(f => f.InstructionIndex).DefaultIfEmpty(0).Max();
        var nearest = program.LineInfo.LastOrDefault(l => l.InstructionIndex >= functionStart && l.InstructionIndex < index && Known(l) is not null);
        if (nearest is null)
        {
            return located;
        }
        var at = At(located, nearest, objectPath);
        return at with { Message = at.Message + $" (clang gave this instruction no line; this is the nearest known line before it, instruction {nearest.InstructionIndex})" };
    }

    private static BpfDiagnostic At(BpfDiagnostic located, BpfLineInfo line, string objectPath)
    {
        var source = Path.IsPathRooted(line.FileName)
            ? line.FileName
            : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(objectPath)) ?? ".", line.FileName));
        return located with { File = source, Line = line.Line, Column = Math.Max(line.Column, 0) };
    }
}
