namespace Bpftime.Diagnostics;

/// <summary>
/// The one exception type that carries a user-facing problem out of the runtime, the compiler and
/// the tool. It always holds at least one diagnostic with a BPF code.
/// </summary>
public class BpfException : Exception
{
    public BpfException(BpfDiagnostic diagnostic, Exception? inner = null)
        : base(diagnostic.Message, inner)
    {
        Diagnostics = [diagnostic];
    }

    public BpfException(IReadOnlyList<BpfDiagnostic> diagnostics)
        : base(diagnostics.Count > 0 ? diagnostics[0].Message : "no diagnostic")
    {
        if (diagnostics.Count == 0)
        {
            throw new ArgumentException("at least one diagnostic is required", nameof(diagnostics));
        }
        Diagnostics = diagnostics;
    }

    public IReadOnlyList<BpfDiagnostic> Diagnostics { get; }

    public BpfDiagnostic Diagnostic => Diagnostics[0];

    public string Code => Diagnostic.Code;

    public static BpfException Create(string code, string message, string? file = null, string? program = null, int? instruction = null) =>
        new(new BpfDiagnostic(code, message, File: file, Program: program, InstructionIndex: instruction));
}
