using Bpftime.Diagnostics;
using Bpftime.Verification;

namespace Bpftime.Tests.Corpus;

/// <summary>
/// The verdict on one program of a corpus object. An object the reader refused gives one result whose
/// <see cref="Section"/> and <see cref="Program"/> are null.
/// </summary>
public sealed record CorpusProgramResult(
    string Project,
    string File,
    string? Section,
    string? Program,
    CorpusOutcome Outcome,
    BpfDiagnostic? FirstError,
    TimeSpan Time)
{
    /// <summary>The verifier's work on the program (null for unreadable objects and crashes).</summary>
    public VerificationStatistics? Statistics { get; init; }

    /// <summary>The functions of other sections (.text) linked into the program, by name.</summary>
    public IReadOnlyList<string> Subprograms { get; init; } = [];

    public bool Passed => Outcome == CorpusOutcome.Accepted;

    public string Key => $"{Project}/{File}{(Section is null ? string.Empty : " " + Section)}{(Program is null ? string.Empty : " " + Program)}";

    /// <summary>"BPFnnnn: message", or the outcome when there is no diagnostic.</summary>
    public string Cause => FirstError is { } error ? $"{error.Code}: {error.Message}" : Outcome.ToString();
}
