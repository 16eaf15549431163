using Bpftime.Isa;

namespace Bpftime.Sandbox.Fuzz.Generation;

/// <summary>Appends instructions and resolves labels: jump offsets, local-call and code-address immediates.</summary>
internal sealed class CodeEmitter
{
    private enum Fixup { JumpOffset, RelativeImmediate }

    private readonly List<Instruction> _code = [];
    private readonly Dictionary<string, int> _labels = [];
    private readonly List<(int At, string Label, Fixup Kind)> _fixups = [];
    private int _nextLabel;

    public int Count => _code.Count;

    public string NewLabel(string hint) => $"{hint}{_nextLabel++}";

    public void Label(string label) => _labels[label] = _code.Count;

    public void Emit(Instruction instruction) => _code.Add(instruction);

    public void Alu64(AluOperation op, int dst, int imm) =>
        Emit(new Instruction(Opcodes.Alu(InstructionClass.Alu64, op, OperandSource.Immediate), (byte)dst, 0, 0, imm));

    public void Alu64Reg(AluOperation op, int dst, int src) =>
        Emit(new Instruction(Opcodes.Alu(InstructionClass.Alu64, op, OperandSource.Register), (byte)dst, (byte)src, 0, 0));

    public void Mov(int dst, int imm) => Alu64(AluOperation.Mov, dst, imm);

    public void MovReg(int dst, int src) => Alu64Reg(AluOperation.Mov, dst, src);

    public void LoadImm64(int dst, long value)
    {
        Emit(new Instruction(Opcodes.LoadImm64, (byte)dst, 0, 0, (int)value));
        Emit(new Instruction(0, 0, 0, 0, (int)(value >> 32)));
    }

    /// <summary>ld_imm64 src 5: the handle of map <paramref name="index"/>.</summary>
    public void LoadMap(int dst, int index)
    {
        Emit(new Instruction(Opcodes.LoadImm64, (byte)dst, (byte)LoadImm64Source.MapByIndex, 0, index));
        Emit(new Instruction(0, 0, 0, 0, 0));
    }

    /// <summary>ld_imm64 src 6: the address of byte <paramref name="offset"/> of map <paramref name="index"/>'s value.</summary>
    public void LoadMapValue(int dst, int index, int offset)
    {
        Emit(new Instruction(Opcodes.LoadImm64, (byte)dst, (byte)LoadImm64Source.MapValueByIndex, 0, index));
        Emit(new Instruction(0, 0, 0, 0, offset));
    }

    /// <summary>ld_imm64 src 4: the callable address of the function at <paramref name="label"/>.</summary>
    public void LoadCode(int dst, string label)
    {
        _fixups.Add((_code.Count, label, Fixup.RelativeImmediate));
        Emit(new Instruction(Opcodes.LoadImm64, (byte)dst, (byte)LoadImm64Source.CodeAddress, 0, 0));
        Emit(new Instruction(0, 0, 0, 0, 0));
    }

    public void CallHelper(int id) => Emit(new Instruction(Opcodes.Call, 0, (byte)CallSource.Helper, 0, id));

    public void CallLocal(string label)
    {
        _fixups.Add((_code.Count, label, Fixup.RelativeImmediate));
        Emit(new Instruction(Opcodes.Call, 0, (byte)CallSource.Local, 0, 0));
    }

    public void Jump(string label)
    {
        _fixups.Add((_code.Count, label, Fixup.JumpOffset));
        Emit(new Instruction(Opcodes.Ja, 0, 0, 0, 0));
    }

    public void JumpIf(JumpOperation op, int dst, int imm, string label)
    {
        _fixups.Add((_code.Count, label, Fixup.JumpOffset));
        Emit(new Instruction(Opcodes.Jump(InstructionClass.Jmp, op, OperandSource.Immediate), (byte)dst, 0, 0, imm));
    }

    /// <summary>Points the jump just emitted at <paramref name="label"/> (for jump forms without their own helper).</summary>
    public void JumpIfFixup(string label) => _fixups.Add((_code.Count - 1, label, Fixup.JumpOffset));

    public void JumpIfReg(JumpOperation op, int dst, int src, string label)
    {
        _fixups.Add((_code.Count, label, Fixup.JumpOffset));
        Emit(new Instruction(Opcodes.Jump(InstructionClass.Jmp, op, OperandSource.Register), (byte)dst, (byte)src, 0, 0));
    }

    public void Load(MemorySize size, int dst, int baseRegister, short offset, bool signExtend = false) =>
        Emit(new Instruction(Opcodes.Memory(InstructionClass.Ldx, signExtend ? MemoryMode.MemSx : MemoryMode.Mem, size), (byte)dst, (byte)baseRegister, offset, 0));

    public void Store(MemorySize size, int baseRegister, short offset, int src) =>
        Emit(new Instruction(Opcodes.Memory(InstructionClass.Stx, MemoryMode.Mem, size), (byte)baseRegister, (byte)src, offset, 0));

    public void StoreImm(MemorySize size, int baseRegister, short offset, int imm) =>
        Emit(new Instruction(Opcodes.Memory(InstructionClass.St, MemoryMode.Mem, size), (byte)baseRegister, 0, offset, imm));

    public void Atomic(MemorySize size, int baseRegister, short offset, int src, AtomicOperation op) =>
        Emit(new Instruction(Opcodes.Memory(InstructionClass.Stx, MemoryMode.Atomic, size), (byte)baseRegister, (byte)src, offset, (int)op));

    public void Exit() => Emit(new Instruction(Opcodes.Exit, 0, 0, 0, 0));

    public Instruction[] Finish()
    {
        var code = _code.ToArray();
        foreach (var (at, label, kind) in _fixups)
        {
            var target = _labels[label];
            code[at] = kind == Fixup.JumpOffset
                ? code[at].WithOffset((short)(target - (at + 1)))
                : code[at].WithImm(target - (at + 1));
        }
        return code;
    }
}
