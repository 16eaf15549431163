namespace Bpftime.Isa;

/// <summary>Whole opcodes that the engines, the validator and the object reader name directly.</summary>
public static class Opcodes
{
    public const byte LoadImm64 = (byte)InstructionClass.Ld | (byte)MemoryMode.Imm | (byte)MemorySize.DoubleWord; // 0x18
    public const byte Call = (byte)InstructionClass.Jmp | (byte)JumpOperation.Call; // 0x85
    public const byte CallRegister = Call | (byte)OperandSource.Register; // 0x8d
    public const byte Exit = (byte)InstructionClass.Jmp | (byte)JumpOperation.Exit; // 0x95
    public const byte Ja = (byte)InstructionClass.Jmp | (byte)JumpOperation.Ja; // 0x05
    public const byte Gotol = (byte)InstructionClass.Jmp32 | (byte)JumpOperation.Ja; // 0x06

    public static byte Alu(InstructionClass cls, AluOperation op, OperandSource source) => (byte)((byte)cls | (byte)op | (byte)source);

    public static byte Jump(InstructionClass cls, JumpOperation op, OperandSource source) => (byte)((byte)cls | (byte)op | (byte)source);

    public static byte Memory(InstructionClass cls, MemoryMode mode, MemorySize size) => (byte)((byte)cls | (byte)mode | (byte)size);
}
