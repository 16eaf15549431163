namespace Bpftime.Objects;

/// <summary>Where an instruction of a linked program came from in the C source.</summary>
public sealed record BpfLineInfo(int InstructionIndex, string FileName, string SourceLine, int Line, int Column)
{
    public override string ToString() => $"{InstructionIndex}: {FileName}:{Line}:{Column} {SourceLine.Trim()}";
}
