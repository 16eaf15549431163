using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Bpftime.Isa;

/// <summary>
/// One 64-bit instruction slot, laid out as in memory (RFC 9669 section 3): opcode, dst in the low
/// nibble and src in the high nibble of the register byte, a signed 16-bit offset and a signed
/// 32-bit immediate. ld_imm64 takes two slots; the second carries the upper half of the immediate.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public readonly record struct Instruction
{
    public const int Size = 8;

    public Instruction(byte opcode, byte dst, byte src, short offset, int imm)
    {
        Opcode = opcode;
        Registers = (byte)((dst & 0x0f) | ((src & 0x0f) << 4));
        Offset = offset;
        Imm = imm;
    }

    public byte Opcode { get; }

    /// <summary>dst in the low nibble, src in the high nibble, as encoded on a little-endian host.</summary>
    public byte Registers { get; }

    public short Offset { get; }

    public int Imm { get; }

    public byte Dst => (byte)(Registers & 0x0f);

    public byte Src => (byte)(Registers >> 4);

    public InstructionClass Class => (InstructionClass)(Opcode & 0x07);

    public bool IsAlu => Class is InstructionClass.Alu or InstructionClass.Alu64;

    public bool IsJump => Class is InstructionClass.Jmp or InstructionClass.Jmp32;

    public bool IsLoadStore => Class is InstructionClass.Ld or InstructionClass.Ldx or InstructionClass.St or InstructionClass.Stx;

    public OperandSource Source => (OperandSource)(Opcode & 0x08);

    public AluOperation AluOperation => (AluOperation)(Opcode & 0xf0);

    public JumpOperation JumpOperation => (JumpOperation)(Opcode & 0xf0);

    public MemorySize MemorySize => (MemorySize)(Opcode & 0x18);

    public MemoryMode MemoryMode => (MemoryMode)(Opcode & 0xe0);

    /// <summary>The first slot of the two-slot ld_imm64 (opcode 0x18).</summary>
    public bool IsLoadImm64 => Opcode == Opcodes.LoadImm64;

    public bool IsExit => Opcode == Opcodes.Exit;

    public bool IsCall => Opcode == Opcodes.Call || Opcode == Opcodes.CallRegister;

    /// <summary>A call to a helper by id (not a local call, not callx).</summary>
    public bool IsHelperCall => Opcode == Opcodes.Call && Src == (byte)CallSource.Helper;

    public bool IsLocalCall => Opcode == Opcodes.Call && Src == (byte)CallSource.Local;

    public AtomicOperation AtomicOperation => (AtomicOperation)Imm;

    /// <summary>The 64-bit immediate of an ld_imm64 whose second slot is <paramref name="next"/>.</summary>
    public long Imm64With(Instruction next) => (long)(((ulong)(uint)next.Imm << 32) | (uint)Imm);

    public static Instruction Read(ReadOnlySpan<byte> slot)
    {
        return new Instruction(
            slot[0],
            (byte)(slot[1] & 0x0f),
            (byte)(slot[1] >> 4),
            BinaryPrimitives.ReadInt16LittleEndian(slot[2..]),
            BinaryPrimitives.ReadInt32LittleEndian(slot[4..]));
    }

    public void Write(Span<byte> slot)
    {
        slot[0] = Opcode;
        slot[1] = Registers;
        BinaryPrimitives.WriteInt16LittleEndian(slot[2..], Offset);
        BinaryPrimitives.WriteInt32LittleEndian(slot[4..], Imm);
    }

    /// <summary>The raw 64-bit encoding, as the conformance suite's raw sections write it.</summary>
    public ulong ToUInt64()
    {
        Span<byte> bytes = stackalloc byte[Size];
        Write(bytes);
        return BinaryPrimitives.ReadUInt64LittleEndian(bytes);
    }

    public static Instruction FromUInt64(ulong raw)
    {
        Span<byte> bytes = stackalloc byte[Size];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, raw);
        return Read(bytes);
    }

    public Instruction WithImm(int imm) => new(Opcode, Dst, Src, Offset, imm);

    public Instruction WithOffset(short offset) => new(Opcode, Dst, Src, offset, Imm);

    public Instruction WithSrc(byte src) => new(Opcode, Dst, src, Offset, Imm);

    public override string ToString() => $"{{op=0x{Opcode:x2} dst=r{Dst} src=r{Src} off={Offset} imm={Imm}}}";
}
