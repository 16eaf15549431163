namespace Bpftime.Verification;

/// <summary>Ends the exploration at the first unsafe instruction; turned into a diagnostic by the analyzer.</summary>
internal sealed class VerificationError(string code, int instruction, string message) : Exception(message)
{
    public string Code { get; } = code;

    public int Instruction { get; } = instruction;
}
