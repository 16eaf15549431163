using Bpftime.Diagnostics;

namespace Bpftime.Isa;

/// <summary>Turns raw bytecode into instruction slots. Structure is checked by <c>ProgramValidator</c>.</summary>
public static class InstructionDecoder
{
    public static Instruction[] Decode(ReadOnlySpan<byte> bytecode, string? origin = null)
    {
        if (bytecode.Length % Instruction.Size != 0)
        {
            throw new BpfException(new BpfDiagnostic(
                DiagnosticCodes.BytecodeLengthNotMultipleOfEight,
                $"bytecode is {bytecode.Length} bytes long, which is not a whole number of 8-byte instructions; the file may be truncated or not raw eBPF",
                File: origin));
        }
        var instructions = new Instruction[bytecode.Length / Instruction.Size];
        for (var i = 0; i < instructions.Length; i++)
        {
            instructions[i] = Instruction.Read(bytecode.Slice(i * Instruction.Size, Instruction.Size));
        }
        return instructions;
    }

    public static byte[] Encode(ReadOnlySpan<Instruction> instructions)
    {
        var bytes = new byte[instructions.Length * Instruction.Size];
        for (var i = 0; i < instructions.Length; i++)
        {
            instructions[i].Write(bytes.AsSpan(i * Instruction.Size, Instruction.Size));
        }
        return bytes;
    }
}
