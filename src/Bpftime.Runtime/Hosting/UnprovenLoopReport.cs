using Bpftime.Objects;
using Bpftime.Verification;

namespace Bpftime.Hosting;

/// <summary>
/// The loops a verifier could not prove to end, with the C lines they come from, as the loader's log,
/// the build's messages and <c>bpftime verify</c> print them.
/// </summary>
public static class UnprovenLoopReport
{
    /// <summary>One loop head: its instruction and, when the object has line info, the C file and line.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1716:Identifiers should not match keywords",
        Justification = "A loop is the domain's word; the keyword is Visual Basic's, where [Loop] still names it.")]
    public sealed record Loop(int Instruction, string? File, int? Line);

    /// <summary>The unproven loops of <paramref name="result"/>, each with the line info in force at its head.</summary>
    public static IReadOnlyList<Loop> Loops(VerificationResult result, BpfProgramInfo program)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(program);
        return [.. result.UnprovenLoops.Select(head => program.LineAt(head) is { } line
            ? new Loop(head, Path.GetFileName(line.FileName), line.Line)
            : new Loop(head, null, null))];
    }

    /// <summary>"the loop at instruction 7 (loop.bpf.c:12)", "the loops at ...", or "a loop" when the verifier named none.</summary>
    public static string Describe(VerificationResult result, BpfProgramInfo program)
    {
        var loops = Loops(result, program);
        if (loops.Count == 0)
        {
            return "a loop";
        }
        var places = loops.Select(l => l.Line is { } line ? $"instruction {l.Instruction} ({l.File}:{line})" : $"instruction {l.Instruction}");
        return (loops.Count == 1 ? "the loop at " : "the loops at ") + string.Join(", ", places);
    }
}
