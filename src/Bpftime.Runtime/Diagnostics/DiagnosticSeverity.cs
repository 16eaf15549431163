namespace Bpftime.Diagnostics;

public enum DiagnosticSeverity
{
    Error,
    Warning,
    Info,
}
