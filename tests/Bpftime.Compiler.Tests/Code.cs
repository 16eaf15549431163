using Bpftime.Isa;

namespace Bpftime.Compiler.Tests;

/// <summary>Hand-encoded instructions for tests that must not depend on the assembler.</summary>
internal static class Code
{
    public static Instruction Mov64(int dst, int imm) => new(0xb7, (byte)dst, 0, 0, imm);

    public static Instruction Mov64Reg(int dst, int src) => new(0xbf, (byte)dst, (byte)src, 0, 0);

    public static Instruction Add64(int dst, int imm) => new(0x07, (byte)dst, 0, 0, imm);

    public static Instruction Alu64Reg(AluOperation op, int dst, int src, short offset = 0) =>
        new((byte)(0x07 | 0x08 | (byte)op), (byte)dst, (byte)src, offset, 0);

    public static Instruction Alu32Reg(AluOperation op, int dst, int src, short offset = 0) =>
        new((byte)(0x04 | 0x08 | (byte)op), (byte)dst, (byte)src, offset, 0);

    public static Instruction Call(int helper) => new(Opcodes.Call, 0, 0, 0, helper);

    public static Instruction CallLocal(int relative) => new(Opcodes.Call, 0, 1, 0, relative);

    public static Instruction Exit() => new(Opcodes.Exit, 0, 0, 0, 0);

    public static Instruction JeqImm(int dst, int imm, short offset) => new(0x15, (byte)dst, 0, offset, imm);

    public static Instruction LoadDw(int dst, int src, short offset) => new(0x79, (byte)dst, (byte)src, offset, 0);

    public static Instruction StoreDw(int dst, int src, short offset) => new(0x7b, (byte)dst, (byte)src, offset, 0);

    public static Instruction[] LoadImm64(int dst, long value, byte src = 0) =>
        [new(Opcodes.LoadImm64, (byte)dst, src, 0, (int)value), new(0, 0, 0, 0, (int)(value >> 32))];
}
