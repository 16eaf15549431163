using Bpftime.Isa;

namespace Bpftime.Tests.Engines.X64;

/// <summary>Terse constructors for hand-written test programs.</summary>
internal static class Bpf
{
    public static Instruction Alu64(AluOperation op, int dst, int imm, short offset = 0) =>
        new(Opcodes.Alu(InstructionClass.Alu64, op, OperandSource.Immediate), (byte)dst, 0, offset, imm);

    public static Instruction Alu64Reg(AluOperation op, int dst, int src, short offset = 0) =>
        new(Opcodes.Alu(InstructionClass.Alu64, op, OperandSource.Register), (byte)dst, (byte)src, offset, 0);

    public static Instruction Alu32(AluOperation op, int dst, int imm, short offset = 0) =>
        new(Opcodes.Alu(InstructionClass.Alu, op, OperandSource.Immediate), (byte)dst, 0, offset, imm);

    public static Instruction Alu32Reg(AluOperation op, int dst, int src, short offset = 0) =>
        new(Opcodes.Alu(InstructionClass.Alu, op, OperandSource.Register), (byte)dst, (byte)src, offset, 0);

    public static Instruction Mov64(int dst, int imm) => Alu64(AluOperation.Mov, dst, imm);

    public static Instruction Mov64Reg(int dst, int src) => Alu64Reg(AluOperation.Mov, dst, src);

    public static Instruction Jmp(JumpOperation op, int dst, int imm, short offset) =>
        new(Opcodes.Jump(InstructionClass.Jmp, op, OperandSource.Immediate), (byte)dst, 0, offset, imm);

    public static Instruction JmpReg(JumpOperation op, int dst, int src, short offset) =>
        new(Opcodes.Jump(InstructionClass.Jmp, op, OperandSource.Register), (byte)dst, (byte)src, offset, 0);

    public static Instruction Jmp32(JumpOperation op, int dst, int imm, short offset) =>
        new(Opcodes.Jump(InstructionClass.Jmp32, op, OperandSource.Immediate), (byte)dst, 0, offset, imm);

    public static Instruction Jmp32Reg(JumpOperation op, int dst, int src, short offset) =>
        new(Opcodes.Jump(InstructionClass.Jmp32, op, OperandSource.Register), (byte)dst, (byte)src, offset, 0);

    public static Instruction Ja(short offset) => new(Opcodes.Ja, 0, 0, offset, 0);

    public static Instruction Ldx(MemorySize size, int dst, int src, short offset) =>
        new(Opcodes.Memory(InstructionClass.Ldx, MemoryMode.Mem, size), (byte)dst, (byte)src, offset, 0);

    public static Instruction Ldsx(MemorySize size, int dst, int src, short offset) =>
        new(Opcodes.Memory(InstructionClass.Ldx, MemoryMode.MemSx, size), (byte)dst, (byte)src, offset, 0);

    public static Instruction Stx(MemorySize size, int dst, int src, short offset) =>
        new(Opcodes.Memory(InstructionClass.Stx, MemoryMode.Mem, size), (byte)dst, (byte)src, offset, 0);

    public static Instruction St(MemorySize size, int dst, short offset, int imm) =>
        new(Opcodes.Memory(InstructionClass.St, MemoryMode.Mem, size), (byte)dst, 0, offset, imm);

    public static Instruction Atomic(MemorySize size, AtomicOperation op, int dst, int src, short offset) =>
        new(Opcodes.Memory(InstructionClass.Stx, MemoryMode.Atomic, size), (byte)dst, (byte)src, offset, (int)op);

    public static Instruction[] LdImm64(int dst, long value, byte src = 0) =>
    [
        new(Opcodes.LoadImm64, (byte)dst, src, 0, (int)value),
        new(0, 0, 0, 0, (int)(value >> 32)),
    ];

    public static Instruction Call(int helper) => new(Opcodes.Call, 0, 0, 0, helper);

    public static Instruction CallLocal(int relative) => new(Opcodes.Call, 0, (byte)CallSource.Local, 0, relative);

    public static Instruction CallRegister(int register) => new(Opcodes.CallRegister, (byte)register, 0, 0, 0);

    public static Instruction Exit() => new(Opcodes.Exit, 0, 0, 0, 0);

    public static Instruction[] Program(params object[] parts)
    {
        var list = new List<Instruction>();
        foreach (var part in parts)
        {
            switch (part)
            {
                case Instruction insn:
                    list.Add(insn);
                    break;
                case Instruction[] many:
                    list.AddRange(many);
                    break;
                default:
                    throw new ArgumentException("not an instruction: " + part);
            }
        }
        return [.. list];
    }
}
