using Bpftime.Isa;

namespace Bpftime.Tests.Engines.X64;

/// <summary>
/// Seeded random eBPF programs that are valid and deterministic on every engine: all ALU and jump
/// forms, ld_imm64 (constants, a map's handle and value address), loads and stores of every width on
/// the context, the stack and a map value, atomics, forward branches, bounded loops, local calls,
/// helper calls and callx. Invariants that keep them well defined:
/// r9 holds the context for the whole run and is never written; every frame zeroes its 64 lowest
/// stack bytes first and only those are used; r1-r5 are set again after a helper call (native
/// helpers clobber them); loops count down in r8, which their bodies never write, and no branch
/// enters a loop body from outside.
/// </summary>
internal sealed class RandomProgramGenerator
{
    public const int ContextSize = 64;
    public const int MapValueSize = 64;
    public const int MixHelperId = 1;
    public const int UnwindHelperId = 5;

    private const int ContextRegister = 9;
    private const int LoopRegister = 8;
    private const int StackBytes = 64;

    private static readonly AluOperation[] AluOperations =
    [
        AluOperation.Add, AluOperation.Sub, AluOperation.Mul, AluOperation.Div, AluOperation.Or, AluOperation.And,
        AluOperation.Lsh, AluOperation.Rsh, AluOperation.Neg, AluOperation.Mod, AluOperation.Xor, AluOperation.Mov,
        AluOperation.Arsh, AluOperation.End,
    ];

    private static readonly JumpOperation[] Conditions =
    [
        JumpOperation.Jeq, JumpOperation.Jgt, JumpOperation.Jge, JumpOperation.Jset, JumpOperation.Jne, JumpOperation.Jsgt,
        JumpOperation.Jsge, JumpOperation.Jlt, JumpOperation.Jle, JumpOperation.Jslt, JumpOperation.Jsle,
    ];

    private static readonly AtomicOperation[] AtomicOperations =
    [
        AtomicOperation.Add, AtomicOperation.Or, AtomicOperation.And, AtomicOperation.Xor, AtomicOperation.FetchAdd,
        AtomicOperation.FetchOr, AtomicOperation.FetchAnd, AtomicOperation.FetchXor, AtomicOperation.Xchg, AtomicOperation.CmpXchg,
    ];

    private static readonly int[] InterestingImmediates =
    [
        0, 1, -1, 2, 3, 7, 8, 15, 16, 31, 32, 33, 63, 64, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
        int.MaxValue, int.MinValue, -2, -7, -128, 1000, -1000,
    ];

    private readonly Random _random;
    private readonly bool _injectFaults;
    private readonly List<List<Item>> _functions = [];

    /// <param name="seed">Selects the program.</param>
    /// <param name="injectFaults">
    /// When true, about one access in 40 goes out of bounds (past the context, below the frame, past
    /// the map value) or, for atomics, off alignment: for checking faults on unverified programs only.
    /// </param>
    public RandomProgramGenerator(int seed, bool injectFaults = false)
    {
        _random = new Random(seed);
        _injectFaults = injectFaults;
    }

    private sealed class Item
    {
        public required Instruction[] Slots { get; init; }
        public int JumpTarget { get; set; } = -1;
        public int CallFunction { get; init; } = -1;
        public bool InsideLoop { get; set; }
    }

    public Instruction[] Generate()
    {
        var functionCount = _random.Next(4) switch { 0 => 1, 1 => 2, 2 => 2, _ => 3 };
        for (var f = 0; f < functionCount; f++)
        {
            _functions.Add([]);
        }
        for (var f = 0; f < functionCount; f++)
        {
            GenerateFunction(f, functionCount);
        }
        return Layout();
    }

    private void GenerateFunction(int f, int functionCount)
    {
        var items = _functions[f];
        if (f == 0)
        {
            items.Add(Single(new Instruction(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Mov, OperandSource.Register), ContextRegister, 1, 0, 0)));
            for (var r = 0; r <= 8; r++)
            {
                items.Add(RandomConstant(r));
            }
        }
        for (var offset = -8; offset >= -StackBytes; offset -= 8)
        {
            items.Add(Single(new Instruction(Opcodes.Memory(InstructionClass.St, MemoryMode.Mem, MemorySize.DoubleWord), 10, 0, (short)offset, 0)));
        }
        var length = _random.Next(8, 48);
        for (var n = 0; n < length; n++)
        {
            var pick = _random.Next(100);
            if (pick < 3)
            {
                // The zero-extension idiom, which the jit fuses unless a branch lands between the two.
                var register = (byte)DataRegister(true);
                items.Add(Single(new Instruction(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Lsh, OperandSource.Immediate), register, 0, 0, 32)));
                items.Add(Single(new Instruction(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Rsh, OperandSource.Immediate), register, 0, 0, 32)));
            }
            else if (pick < 40)
            {
                items.Add(Single(RandomAlu(allowLoopRegister: true)));
            }
            else if (pick < 48)
            {
                items.Add(RandomConstant(DataRegister(true)));
            }
            else if (pick < 62)
            {
                AddMemoryAccess(items, allowLoopRegister: true);
            }
            else if (pick < 74)
            {
                var item = Single(_random.Next(8) == 0 ? RandomUnconditionalJump() : RandomConditionalJump());
                item.JumpTarget = items.Count + 1 + _random.Next(1, 8);
                items.Add(item);
            }
            else if (pick < 82)
            {
                AddLoop(items);
            }
            else if (pick < 88 && f + 1 < functionCount)
            {
                items.Add(new Item { Slots = [new Instruction(Opcodes.Call, 0, (byte)CallSource.Local, 0, 0)], CallFunction = _random.Next(f + 1, functionCount) });
            }
            else if (pick < 92)
            {
                AddHelperCall(items);
            }
            else
            {
                AddAtomic(items, allowLoopRegister: true);
            }
        }
        // Fold every data register into r0 before leaving, so that a wrong value in any of them shows.
        var exit = new List<Instruction>();
        for (var r = 1; r <= 9; r++)
        {
            exit.Add(new Instruction(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Mul, OperandSource.Immediate), 0, 0, 0, 0x2545f491));
            exit.Add(new Instruction(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Add, OperandSource.Register), 0, (byte)r, 0, 0));
        }
        exit.Add(new Instruction(Opcodes.Exit, 0, 0, 0, 0));
        items.Add(new Item { Slots = [.. exit] });
        foreach (var item in items)
        {
            if (item.JumpTarget >= items.Count)
            {
                item.JumpTarget = items.Count - 1;
            }
        }
        // No branch may enter a loop body from outside: move such targets back to the loop's start.
        foreach (var item in items)
        {
            if (item.JumpTarget >= 0 && item.CallFunction < 0 && !item.InsideLoop)
            {
                while (items[item.JumpTarget].InsideLoop)
                {
                    item.JumpTarget--;
                }
            }
        }
    }

    private Instruction[] Layout()
    {
        var starts = new List<int>();
        var slotOf = new List<int[]>();
        var slot = 0;
        foreach (var items in _functions)
        {
            starts.Add(slot);
            var positions = new int[items.Count];
            for (var i = 0; i < items.Count; i++)
            {
                positions[i] = slot;
                slot += items[i].Slots.Length;
            }
            slotOf.Add(positions);
        }
        var program = new List<Instruction>(slot);
        for (var f = 0; f < _functions.Count; f++)
        {
            var items = _functions[f];
            for (var i = 0; i < items.Count; i++)
            {
                var item = items[i];
                var here = slotOf[f][i];
                if (item.CallFunction >= 0)
                {
                    program.Add(item.Slots[0].WithImm(starts[item.CallFunction] - (here + 1)));
                }
                else if (item.JumpTarget >= 0 && item.Slots[0].Opcode == Opcodes.Gotol)
                {
                    program.Add(item.Slots[0].WithImm(slotOf[f][item.JumpTarget] - (here + 1)));
                }
                else if (item.JumpTarget >= 0)
                {
                    program.Add(item.Slots[0].WithOffset((short)(slotOf[f][item.JumpTarget] - (here + 1))));
                }
                else
                {
                    program.AddRange(item.Slots);
                }
            }
        }
        return [.. program];
    }

    private static Item Single(Instruction instruction) => new() { Slots = [instruction] };

    private int DataRegister(bool allowLoopRegister) => _random.Next(allowLoopRegister ? 9 : 8);

    private int Immediate() => _random.Next(3) == 0 ? _random.Next(int.MinValue, int.MaxValue) : InterestingImmediates[_random.Next(InterestingImmediates.Length)];

    private Item RandomConstant(int register)
    {
        if (_random.Next(3) == 0)
        {
            long value = _random.Next(4) == 0 ? long.MinValue >> _random.Next(64) : _random.NextInt64();
            return new Item
            {
                Slots =
                [
                    new Instruction(Opcodes.LoadImm64, (byte)register, 0, 0, (int)value),
                    new Instruction(0, 0, 0, 0, (int)(value >> 32)),
                ],
            };
        }
        var wide = _random.Next(2) == 0;
        return Single(new Instruction(Opcodes.Alu(wide ? InstructionClass.Alu64 : InstructionClass.Alu, AluOperation.Mov, OperandSource.Immediate), (byte)register, 0, 0, Immediate()));
    }

    private Instruction RandomAlu(bool allowLoopRegister)
    {
        var wide = _random.Next(2) == 0;
        var cls = wide ? InstructionClass.Alu64 : InstructionClass.Alu;
        var op = AluOperations[_random.Next(AluOperations.Length)];
        var dst = (byte)DataRegister(allowLoopRegister);
        // r9 (the context's address) is the same on every engine; r10 (the stack's) is not, so it is never mixed in.
        var src = (byte)_random.Next(10);
        var byRegister = _random.Next(2) == 0;
        short offset = 0;
        switch (op)
        {
            case AluOperation.Neg:
                return new Instruction(Opcodes.Alu(cls, op, OperandSource.Immediate), dst, 0, 0, 0);
            case AluOperation.End:
                {
                    var width = new[] { 16, 32, 64 }[_random.Next(3)];
                    var opcode = _random.Next(3) switch { 0 => (byte)0xd4, 1 => (byte)0xdc, _ => (byte)0xd7 };
                    return new Instruction(opcode, dst, 0, 0, width);
                }
            case AluOperation.Div:
            case AluOperation.Mod:
                offset = (short)_random.Next(2);
                break;
            case AluOperation.Mov:
                if (byRegister && _random.Next(3) == 0)
                {
                    offset = wide ? new short[] { 8, 16, 32 }[_random.Next(3)] : new short[] { 8, 16 }[_random.Next(2)];
                }
                break;
        }
        return byRegister
            ? new Instruction(Opcodes.Alu(cls, op, OperandSource.Register), dst, src, offset, 0)
            : new Instruction(Opcodes.Alu(cls, op, OperandSource.Immediate), dst, 0, offset, Immediate());
    }

    /// <summary>ja (offset) or gotol (imm); its target is patched by <see cref="Layout"/>.</summary>
    private Instruction RandomUnconditionalJump() =>
        _random.Next(2) == 0 ? new Instruction(Opcodes.Ja, 0, 0, 0, 0) : new Instruction(Opcodes.Gotol, 0, 0, 0, 0);

    private Instruction RandomConditionalJump()
    {
        var cls = _random.Next(2) == 0 ? InstructionClass.Jmp : InstructionClass.Jmp32;
        var op = Conditions[_random.Next(Conditions.Length)];
        var dst = (byte)_random.Next(9);
        return _random.Next(2) == 0
            ? new Instruction(Opcodes.Jump(cls, op, OperandSource.Register), dst, (byte)_random.Next(9), 0, 0)
            : new Instruction(Opcodes.Jump(cls, op, OperandSource.Immediate), dst, 0, 0, Immediate());
    }

    private static MemorySize SizeOf(int bytes) => bytes switch
    {
        1 => MemorySize.Byte,
        2 => MemorySize.Half,
        4 => MemorySize.Word,
        _ => MemorySize.DoubleWord,
    };

    /// <summary>
    /// A base register and offset for an access of <paramref name="size"/> bytes, aligned when asked:
    /// the context (r9), the frame (r10), a map value, or the frame through a copy of r10, which
    /// <paramref name="suffix"/> clears afterwards (stack addresses differ between engines).
    /// </summary>
    private (byte Base, short Offset) Place(List<Instruction> prefix, List<Instruction> suffix, int size, bool aligned, bool allowLoopRegister)
    {
        var (baseRegister, offset) = PlaceInBounds(prefix, suffix, size, aligned, allowLoopRegister);
        if (_injectFaults && _random.Next(40) == 0)
        {
            // Past the context or the map value; below the current frame or above the whole stack (a smaller
            // step up from a callee's frame would land in its caller's, live but not initialised).
            var onStack = baseRegister == 10 || suffix.Count > 0;
            var steps = onStack ? new[] { -600, 4096, -4096 } : new[] { 64, 512, -600, 4096, -4096 };
            offset += (short)(aligned && _random.Next(3) == 0 ? 1 : steps[_random.Next(steps.Length)]);
        }
        return (baseRegister, offset);
    }

    private (byte Base, short Offset) PlaceInBounds(List<Instruction> prefix, List<Instruction> suffix, int size, bool aligned, bool allowLoopRegister)
    {
        switch (_random.Next(4))
        {
            case 3:
                {
                    var pointer = (byte)DataRegister(allowLoopRegister);
                    prefix.Add(new Instruction(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Mov, OperandSource.Register), pointer, 10, 0, 0));
                    prefix.Add(new Instruction(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Add, OperandSource.Immediate), pointer, 0, 0, -StackBytes));
                    suffix.Add(new Instruction(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Mov, OperandSource.Immediate), pointer, 0, 0, 0));
                    var offset = _random.Next(0, StackBytes - size + 1);
                    if (aligned)
                    {
                        offset &= ~(size - 1);
                    }
                    return (pointer, (short)offset);
                }
            case 0:
                {
                    var offset = _random.Next(0, ContextSize - size + 1);
                    if (aligned)
                    {
                        offset &= ~(size - 1);
                    }
                    return (ContextRegister, (short)offset);
                }
            case 1:
                {
                    var offset = -_random.Next(size, StackBytes + 1);
                    if (aligned)
                    {
                        offset = -((-offset + size - 1) & ~(size - 1));
                    }
                    return (10, (short)offset);
                }
            default:
                {
                    // A pointer into the map's value, loaded with ld_imm64 src 6 (map 0, value offset).
                    var pointer = (byte)DataRegister(allowLoopRegister);
                    var start = _random.Next(0, 5) * 8;
                    prefix.Add(new Instruction(Opcodes.LoadImm64, pointer, (byte)LoadImm64Source.MapValueByIndex, 0, 0));
                    prefix.Add(new Instruction(0, 0, 0, 0, start));
                    var offset = _random.Next(0, MapValueSize - start - size + 1);
                    if (aligned)
                    {
                        offset &= ~(size - 1);
                    }
                    return (pointer, (short)offset);
                }
        }
    }

    private void AddMemoryAccess(List<Item> items, bool allowLoopRegister)
    {
        var size = new[] { 1, 2, 4, 8 }[_random.Next(4)];
        var slots = new List<Instruction>();
        var suffix = new List<Instruction>();
        var (baseRegister, offset) = Place(slots, suffix, size, aligned: false, allowLoopRegister);
        var memorySize = SizeOf(size);
        var value = (byte)_random.Next(9);
        switch (_random.Next(4))
        {
            case 0:
                slots.Add(new Instruction(Opcodes.Memory(InstructionClass.Ldx, MemoryMode.Mem, memorySize), (byte)DataRegister(allowLoopRegister), baseRegister, offset, 0));
                break;
            case 1 when size != 8:
                slots.Add(new Instruction(Opcodes.Memory(InstructionClass.Ldx, MemoryMode.MemSx, memorySize), (byte)DataRegister(allowLoopRegister), baseRegister, offset, 0));
                break;
            case 2:
                slots.Add(new Instruction(Opcodes.Memory(InstructionClass.St, MemoryMode.Mem, memorySize), baseRegister, 0, offset, Immediate()));
                break;
            default:
                if (baseRegister != ContextRegister && baseRegister != 10 && value == baseRegister)
                {
                    value = (byte)((value + 1) % 9);
                }
                slots.Add(new Instruction(Opcodes.Memory(InstructionClass.Stx, MemoryMode.Mem, memorySize), baseRegister, value, offset, 0));
                break;
        }
        items.Add(new Item { Slots = [.. slots, .. suffix] });
    }

    private void AddAtomic(List<Item> items, bool allowLoopRegister)
    {
        var size = _random.Next(2) == 0 ? 4 : 8;
        var slots = new List<Instruction>();
        var suffix = new List<Instruction>();
        var (baseRegister, offset) = Place(slots, suffix, size, aligned: true, allowLoopRegister);
        var op = AtomicOperations[_random.Next(AtomicOperations.Length)];
        var src = (byte)DataRegister(allowLoopRegister);
        if (src == baseRegister)
        {
            src = (byte)((src + 1) % (allowLoopRegister ? 9 : 8));
        }
        if (op == AtomicOperation.CmpXchg && baseRegister == 0)
        {
            op = AtomicOperation.Xchg; // r0 would be both the expected value and the pointer
        }
        slots.Add(new Instruction(Opcodes.Memory(InstructionClass.Stx, MemoryMode.Atomic, SizeOf(size)), baseRegister, src, offset, (int)op));
        items.Add(new Item { Slots = [.. slots, .. suffix] });
    }

    private void AddLoop(List<Item> items)
    {
        items.Add(Single(new Instruction(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Mov, OperandSource.Immediate), LoopRegister, 0, 0, _random.Next(1, 9))));
        var bodyStart = items.Count;
        var length = _random.Next(1, 6);
        for (var n = 0; n < length; n++)
        {
            switch (_random.Next(4))
            {
                case 0:
                    AddMemoryAccess(items, allowLoopRegister: false);
                    break;
                case 1:
                    AddAtomic(items, allowLoopRegister: false);
                    break;
                default:
                    items.Add(Single(RandomAlu(allowLoopRegister: false)));
                    break;
            }
        }
        items.Add(Single(new Instruction(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Sub, OperandSource.Immediate), LoopRegister, 0, 0, 1)));
        var back = Single(new Instruction(Opcodes.Jump(InstructionClass.Jmp, JumpOperation.Jne, OperandSource.Immediate), LoopRegister, 0, 0, 0));
        back.JumpTarget = bodyStart;
        items.Add(back);
        for (var i = bodyStart; i < items.Count; i++)
        {
            items[i].InsideLoop = true;
        }
    }

    private void AddHelperCall(List<Item> items)
    {
        switch (_random.Next(3))
        {
            case 0:
                items.Add(Single(new Instruction(Opcodes.Call, 0, 0, 0, MixHelperId)));
                break;
            case 1:
                // The unwind helper stops the program when r1 is 0.
                items.Add(new Item
                {
                    Slots =
                    [
                        new Instruction(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Mov, OperandSource.Immediate), 1, 0, 0, _random.Next(20) == 0 ? 0 : _random.Next(1, 100)),
                        new Instruction(Opcodes.Call, 0, 0, 0, UnwindHelperId),
                    ],
                });
                break;
            default:
                {
                    var register = (byte)_random.Next(1, 6);
                    items.Add(new Item
                    {
                        Slots =
                        [
                            new Instruction(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Mov, OperandSource.Immediate), register, 0, 0, MixHelperId),
                            new Instruction(Opcodes.CallRegister, register, 0, 0, 0),
                        ],
                    });
                    break;
                }
        }
        // Native helpers clobber r1-r5: give them values again.
        for (var r = 1; r <= 5; r++)
        {
            items.Add(Single(new Instruction(Opcodes.Alu(InstructionClass.Alu64, AluOperation.Mov, OperandSource.Immediate), (byte)r, 0, 0, Immediate())));
        }
    }
}
