namespace Bpftime.Isa;

/// <summary>
/// Writes eBPF code in C#, one call an instruction, with named jump targets resolved by <see cref="Build"/>:
/// for the little bytecode the runtime supplies itself (the compiler builtins), which therefore needs no text
/// assembler at run time. Only the 64-bit forms such code uses are offered.
/// </summary>
internal sealed class InstructionBuilder
{
    private readonly List<Instruction> _code = [];
    private readonly Dictionary<string, int> _labels = new(StringComparer.Ordinal);
    private readonly List<(int Slot, string Label)> _jumps = [];

    /// <summary>Names the next instruction <paramref name="label"/>.</summary>
    public InstructionBuilder Label(string label)
    {
        if (!_labels.TryAdd(label, _code.Count))
        {
            throw new InvalidOperationException($"label '{label}' is defined twice");
        }
        return this;
    }

    /// <summary>64-bit <paramref name="operation"/> dst, imm.</summary>
    public InstructionBuilder Alu(AluOperation operation, byte dst, int imm) =>
        Emit(new Instruction(Opcodes.Alu(InstructionClass.Alu64, operation, OperandSource.Immediate), dst, 0, 0, imm));

    /// <summary>64-bit <paramref name="operation"/> dst, src.</summary>
    public InstructionBuilder AluRegister(AluOperation operation, byte dst, byte src) =>
        Emit(new Instruction(Opcodes.Alu(InstructionClass.Alu64, operation, OperandSource.Register), dst, src, 0, 0));

    /// <summary>64-bit conditional jump comparing dst with imm.</summary>
    public InstructionBuilder Jump(JumpOperation operation, byte dst, int imm, string target) =>
        JumpTo(new Instruction(Opcodes.Jump(InstructionClass.Jmp, operation, OperandSource.Immediate), dst, 0, 0, imm), target);

    /// <summary>64-bit conditional jump comparing dst with src.</summary>
    public InstructionBuilder JumpRegister(JumpOperation operation, byte dst, byte src, string target) =>
        JumpTo(new Instruction(Opcodes.Jump(InstructionClass.Jmp, operation, OperandSource.Register), dst, src, 0, 0), target);

    public InstructionBuilder Ja(string target) => JumpTo(new Instruction(Opcodes.Ja, 0, 0, 0, 0), target);

    /// <summary>dst = *(size *)(src + offset).</summary>
    public InstructionBuilder Load(MemorySize size, byte dst, byte src, short offset = 0) =>
        Emit(new Instruction(Opcodes.Memory(InstructionClass.Ldx, MemoryMode.Mem, size), dst, src, offset, 0));

    /// <summary>*(size *)(dst + offset) = src.</summary>
    public InstructionBuilder Store(MemorySize size, byte dst, byte src, short offset = 0) =>
        Emit(new Instruction(Opcodes.Memory(InstructionClass.Stx, MemoryMode.Mem, size), dst, src, offset, 0));

    public InstructionBuilder Exit() => Emit(new Instruction(Opcodes.Exit, 0, 0, 0, 0));

    /// <summary>The code, every jump pointing at its label.</summary>
    public Instruction[] Build()
    {
        var code = _code.ToArray();
        foreach (var (slot, label) in _jumps)
        {
            if (!_labels.TryGetValue(label, out var target))
            {
                throw new InvalidOperationException($"jump to undefined label '{label}'");
            }
            code[slot] = code[slot].WithOffset(checked((short)(target - slot - 1)));
        }
        return code;
    }

    private InstructionBuilder JumpTo(Instruction jump, string target)
    {
        _jumps.Add((_code.Count, target));
        return Emit(jump);
    }

    private InstructionBuilder Emit(Instruction instruction)
    {
        _code.Add(instruction);
        return this;
    }
}
