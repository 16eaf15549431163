using System.Globalization;
using System.Text;

namespace Bpftime.Diagnostics;

/// <summary>
/// One finding with a stable code (BPF1xxx object, BPF2xxx verifier, BPF3xxx compiler and linker,
/// BPF4xxx runtime and configuration). <see cref="File"/>, <see cref="Line"/> and <see cref="Column"/>
/// point at the C source when line info exists, else at the object file.
/// </summary>
public sealed record BpfDiagnostic(
    string Code,
    string Message,
    DiagnosticSeverity Severity = DiagnosticSeverity.Error,
    string? File = null,
    int Line = 0,
    int Column = 0,
    string? Program = null,
    int? InstructionIndex = null)
{
    /// <summary>MSBuild's canonical form: <c>file(line,col): error BPF2001: message [program+insn]</c>.</summary>
    public string ToCanonicalString()
    {
        var text = new StringBuilder();
        if (!string.IsNullOrEmpty(File))
        {
            text.Append(File);
            if (Line > 0)
            {
                text.Append('(').Append(Line.ToString(CultureInfo.InvariantCulture));
                if (Column > 0)
                {
                    text.Append(',').Append(Column.ToString(CultureInfo.InvariantCulture));
                }
                text.Append(')');
            }
            text.Append(": ");
        }
        else
        {
            text.Append("bpftime: ");
        }
        text.Append(Severity switch
        {
            DiagnosticSeverity.Warning => "warning",
            DiagnosticSeverity.Info => "info",
            _ => "error",
        });
        text.Append(' ').Append(Code).Append(": ").Append(Message);
        if (Program is not null || InstructionIndex is not null)
        {
            text.Append(" [").Append(Program ?? "?");
            if (InstructionIndex is int index)
            {
                text.Append('+').Append(index.ToString(CultureInfo.InvariantCulture));
            }
            text.Append(']');
        }
        return text.ToString();
    }

    public override string ToString() => ToCanonicalString();
}
