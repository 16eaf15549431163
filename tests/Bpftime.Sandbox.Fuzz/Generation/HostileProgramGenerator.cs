using Bpftime.Helpers;
using Bpftime.Isa;
using static Bpftime.Sandbox.Fuzz.Generation.FuzzMapLayout;

namespace Bpftime.Sandbox.Fuzz.Generation;

/// <summary>
/// Seeded hostile programs. Each program draws a hostility h: every choice is well formed (what a verifier
/// accepts: bounds-checked accesses, initialised stack, null checks, released records, real callbacks) with
/// probability 1 - h, and adversarial otherwise: extreme and wild offsets on the context, stack and map-value
/// pointers, helper calls with forged maps, pointers, sizes, strings, records and callbacks, stale packet
/// pointers after bpf_xdp_adjust_head, runaway recursion, endless loops, reads of uninitialised registers and
/// stack, and escapes of pointers into maps. Low-hostility programs are the ones a verifier may accept, so
/// the same seeds exercise both the checked and the verified mode.
/// Register roles: r6 the context, r7 a map value (array value 0 or a lookup's result), r8 a ring-buffer
/// record or 0, r9 a loop counter or scalar, r0 and r3-r5 scalars; r1 and r2 are scratch and arguments.
/// After every helper call r1-r5 are set again (they are clobbered); a code address (ld_imm64 src 4) lives
/// only in an argument register, so it never reaches r0 or memory, where the host-pointer rule would count it.
/// </summary>
internal sealed class HostileProgramGenerator
{
    public const int PlantedHelperId = HelperIds.FirstHostId;

    /// <summary>What the planted helper's callers pass in r2: the bytes a planted write leaves behind.</summary>
    public const long PlantedMarker = 0x5EED_B10C_0BAD_F00D;

    private static readonly double[] Hostilities = [0, 0, 0.03, 0.1, 0.3, 0.6];
    private static readonly int[] ScalarPool = [0, 3, 4, 5, 9];
    private static readonly int[] InterestingImmediates =
    [
        0, 1, -1, 2, 7, 8, 16, 31, 32, 63, 64, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, int.MaxValue, int.MinValue, -8, -64, 4096,
    ];

    private static readonly AluOperation[] AluOperations =
    [
        AluOperation.Add, AluOperation.Sub, AluOperation.Mul, AluOperation.Div, AluOperation.Or, AluOperation.And, AluOperation.Lsh,
        AluOperation.Rsh, AluOperation.Neg, AluOperation.Mod, AluOperation.Xor, AluOperation.Mov, AluOperation.Arsh,
    ];

    private static readonly AtomicOperation[] AtomicOperations =
    [
        AtomicOperation.Add, AtomicOperation.Or, AtomicOperation.And, AtomicOperation.Xor, AtomicOperation.FetchAdd,
        AtomicOperation.FetchOr, AtomicOperation.FetchAnd, AtomicOperation.FetchXor, AtomicOperation.Xchg, AtomicOperation.CmpXchg,
    ];

    private static readonly JumpOperation[] Conditions =
    [
        JumpOperation.Jeq, JumpOperation.Jgt, JumpOperation.Jge, JumpOperation.Jset, JumpOperation.Jne, JumpOperation.Jsgt,
        JumpOperation.Jsge, JumpOperation.Jlt, JumpOperation.Jle, JumpOperation.Jslt, JumpOperation.Jsle,
    ];

    /// <summary>Offsets just past, far past and wrapped around a region, for the off16 field.</summary>
    private static readonly short[] ExtremeOffsets = [-1, -8, -72, -513, -520, -4096, 64, 65, 512, 576, 4096, 8192, short.MaxValue, short.MinValue];

    /// <summary>Values added to a pointer just before one access (the pointer is cleared right after).</summary>
    private static readonly long[] WildDisplacements =
    [
        64, 4096, -4096, 65536, int.MaxValue, int.MinValue, 1L << 32, -(1L << 32), 1L << 40, 1L << 47, -(1L << 47), long.MinValue, 0x7fff_ffff_ffffL,
    ];

    /// <summary>Scalars passed where pointers belong: low, unmapped, non-canonical, kernel-looking.</summary>
    private static readonly long[] ForgedAddresses = [0x1000, 0x10000, 0xdeadbeef, -1, 1L << 47, unchecked((long)0xffff_8000_0000_0000UL), 0x4000_0000_0000L];

    private readonly Random _random;
    private readonly int _seed;
    private readonly IReadOnlyList<HelperFunction> _helpers;
    private readonly bool _planted;
    private readonly CodeEmitter _emit = new();
    private readonly List<(string Label, FunctionKind Kind)> _functions = [];
    private double _hostility;
    private bool _xdp;
    private int _loopDepth;

    private enum FunctionKind { Leaf, Recursive, LoopCallback, ForEachCallback }

    /// <param name="seed">Selects the program.</param>
    /// <param name="helpers">The helpers calls are drawn from (every helper of the table gets called).</param>
    /// <param name="planted">Also call the planted host helper (<see cref="PlantedHelperId"/>).</param>
    public HostileProgramGenerator(int seed, HelperTable helpers, bool planted = false)
    {
        _seed = seed;
        _random = new Random(seed);
        _helpers = [.. helpers.Where(h => h.Id != PlantedHelperId)];
        _planted = planted;
    }

    public GeneratedProgram Generate()
    {
        _hostility = Hostilities[_random.Next(Hostilities.Length)];
        _xdp = _random.Next(5) == 0;
        if (_hostility > 0 && _random.Next(40) == 0)
        {
            // r0 is never written: whatever the engine left there is the result.
            _emit.Exit();
            return new GeneratedProgram(_seed, _emit.Finish(), _xdp, _hostility);
        }
        Prologue();
        var steps = _random.Next(4, 28);
        var endlessAt = _random.Next(150) == 0 ? _random.Next(steps) : -1;
        for (var i = 0; i < steps; i++)
        {
            if (i == endlessAt)
            {
                EndlessLoop();
            }
            Step();
        }
        if (_planted)
        {
            PlantedCall();
        }
        ExitRecipe();
        // Functions are appended after main; a function may ask for more (a leaf's callback), so index, not foreach.
        for (var f = 0; f < _functions.Count; f++)
        {
            EmitFunction(_functions[f].Label, _functions[f].Kind);
        }
        return new GeneratedProgram(_seed, _emit.Finish(), _xdp, _hostility);
    }

    private bool Hostile() => _random.NextDouble() < _hostility;

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    private int Immediate() => _random.Next(3) == 0 ? _random.Next(int.MinValue, int.MaxValue) : Pick(InterestingImmediates);

    private int ScalarRegister() => _loopDepth > 0 ? Pick(ScalarPool.Where(r => r != 9).ToArray()) : Pick(ScalarPool);

    private void Prologue()
    {
        _emit.MovReg(6, 1);
        if (!Hostile())
        {
            for (short offset = -8; offset >= -64; offset -= 8)
            {
                _emit.StoreImm(MemorySize.DoubleWord, 10, offset, 0);
            }
        }
        foreach (var register in new[] { 0, 1, 2, 3, 4, 5, 9 })
        {
            if (!Hostile())
            {
                _emit.Mov(register, Immediate());
            }
        }
        _emit.LoadMapValue(7, Values, 0);
        _emit.Mov(8, 0);
    }

    private void Step()
    {
        var pick = _random.Next(100);
        if (pick < 26)
        {
            Alu();
        }
        else if (pick < 42)
        {
            MemoryAccess();
        }
        else if (pick < 50)
        {
            VariableAccess();
        }
        else if (pick < 72)
        {
            HelperCall();
        }
        else if (pick < 78)
        {
            var skip = _emit.NewLabel("skip");
            _emit.JumpIf(Pick(Conditions), ScalarRegister(), Immediate(), skip);
            Step();
            _emit.Label(skip);
        }
        else if (pick < 84 && _loopDepth == 0)
        {
            BoundedLoop();
        }
        else if (pick < 90)
        {
            LocalCall();
        }
        else if (pick < 96)
        {
            PointerEscape();
        }
        else if (Hostile())
        {
            UninitialisedStackRead();
        }
        else
        {
            Alu();
        }
    }

    private void Alu()
    {
        var op = Pick(AluOperations);
        var wide = _random.Next(3) != 0;
        var cls = wide ? InstructionClass.Alu64 : InstructionClass.Alu;
        var dst = (byte)ScalarRegister();
        if (op == AluOperation.Neg)
        {
            _emit.Emit(new Instruction(Opcodes.Alu(cls, op, OperandSource.Immediate), dst, 0, 0, 0));
            return;
        }
        short offset = op is AluOperation.Div or AluOperation.Mod ? (short)_random.Next(2) : (short)0;
        if (_random.Next(2) == 0)
        {
            _emit.Emit(new Instruction(Opcodes.Alu(cls, op, OperandSource.Register), dst, (byte)ScalarRegister(), offset, 0));
        }
        else
        {
            var imm = Immediate();
            if (op is AluOperation.Lsh or AluOperation.Rsh or AluOperation.Arsh && !Hostile())
            {
                imm &= wide ? 63 : 31;
            }
            _emit.Emit(new Instruction(Opcodes.Alu(cls, op, OperandSource.Immediate), dst, 0, offset, imm));
        }
    }

    private static MemorySize SizeOf(int bytes) => bytes switch
    {
        1 => MemorySize.Byte,
        2 => MemorySize.Half,
        4 => MemorySize.Word,
        _ => MemorySize.DoubleWord,
    };

    /// <summary>A base register and an offset inside the region it points at (context, stack, map value).</summary>
    private (int Base, short Offset, int Limit) PlaceInBounds(int size)
    {
        switch (_random.Next(3))
        {
            case 0 when !_xdp:
                return (6, (short)(_random.Next(0, 64 - size + 1) & ~(size - 1)), 64);
            case 0:
                // xdp_md fields, read-only.
                return (6, (short)(_random.Next(0, 6) * 4), 24);
            case 1:
                return (10, (short)-(((_random.Next(size, 65) + size - 1) & ~(size - 1))), 64);
            default:
                return (7, (short)(_random.Next(0, ValueSize - size + 1) & ~(size - 1)), ValueSize);
        }
    }

    private void MemoryAccess()
    {
        if (_xdp && _random.Next(3) == 0)
        {
            if (_loopDepth == 0 && _random.Next(3) == 0)
            {
                StalePacketPointer();
            }
            else
            {
                PacketAccess();
            }
            return;
        }
        var size = Pick(new[] { 1, 2, 4, 8 });
        var (baseRegister, offset, _) = PlaceInBounds(size);
        var xdpContext = _xdp && baseRegister == 6;
        if (xdpContext)
        {
            size = 4;
        }
        if (Hostile())
        {
            if (_random.Next(2) == 0)
            {
                offset = Pick(ExtremeOffsets);
            }
            else
            {
                // A wild pointer for one access: r1 = base + displacement, cleared again afterwards.
                _emit.MovReg(1, baseRegister);
                if (_random.Next(6) == 0)
                {
                    _emit.Alu64(AluOperation.Neg, 1, 0);
                }
                else
                {
                    _emit.LoadImm64(2, Pick(WildDisplacements));
                    _emit.Alu64Reg(AluOperation.Add, 1, 2);
                }
                Access(1, (short)_random.Next(-8, 9), size, allowWrite: true);
                _emit.Mov(1, 0);
                _emit.Mov(2, 0);
                return;
            }
        }
        Access(baseRegister, offset, size, allowWrite: !xdpContext || Hostile());
    }

    /// <summary>
    /// An access at a variable offset that a bounds check guards: the offset is loaded from memory (unknown
    /// to a verifier), reshaped (masked, sign-extended, narrowed to 32 bits, negated), checked against a
    /// limit with an unsigned, signed or 32-bit comparison, then added to the context, stack or map-value
    /// pointer. The limit is exact or off by a little: a sound verifier refuses the latter (and the signed and
    /// 32-bit checks that leave the offset unbounded); one that accepts them lets verified code out of bounds,
    /// where the context's canaries and guard pages see it.
    /// </summary>
    private void VariableAccess()
    {
        var size = Pick(new[] { 1, 2, 4, 8 });
        var loadSize = Pick(new[] { 1, 2, 4, 8 });
        if (_xdp)
        {
            _emit.Load(SizeOf(loadSize), 3, 7, (short)(_random.Next(0, 8) * 8));
        }
        else
        {
            _emit.Load(SizeOf(loadSize), 3, 6, (short)(_random.Next(0, 64 / loadSize) * loadSize));
        }
        switch (_random.Next(6))
        {
            case 0:
                _emit.Alu64(AluOperation.And, 3, Pick(new[] { 0x3f, 0x7f, 0xff, 0x38, -1 }));
                break;
            case 1:
                _emit.Alu64(AluOperation.Lsh, 3, 56);
                _emit.Alu64(AluOperation.Arsh, 3, 56);
                break;
            case 2:
                _emit.Emit(new Instruction(Opcodes.Alu(InstructionClass.Alu, AluOperation.Mov, OperandSource.Register), 3, 3, 0, 0));
                break;
            case 3:
                _emit.Alu64(AluOperation.Neg, 3, 0);
                break;
            case 4:
                _emit.Alu64(AluOperation.Mul, 3, Pick(new[] { 3, -1, 8 }));
                break;
        }
        var (baseRegister, regionSize, start) = _random.Next(3) switch
        {
            0 when !_xdp && Hostile() => (6, 64, 0),
            1 => (10, 64, -64),
            _ => (7, ValueSize, 0),
        };
        var offset = (short)(start + (_random.Next(0, regionSize / size) * size));
        var exact = regionSize + start - offset - size;
        var limit = exact + (Hostile() ? Pick(new[] { 1, 2, 8, 64, -exact - 1 }) : 0);
        var skip = _emit.NewLabel("bounds");
        var test = _random.Next(Hostile() ? 6 : 2);
        switch (test)
        {
            case 0:
                _emit.JumpIf(JumpOperation.Jgt, 3, limit, skip);
                break;
            case 1:
                _emit.JumpIf(JumpOperation.Jge, 3, limit + 1, skip);
                break;
            case 2:
                // Signed: negative offsets pass unless checked too.
                _emit.JumpIf(JumpOperation.Jsgt, 3, limit, skip);
                if (_random.Next(2) == 0)
                {
                    _emit.JumpIf(JumpOperation.Jslt, 3, 0, skip);
                }
                break;
            case 3:
                // 32-bit: the upper half of r3 is still unknown.
                _emit.Emit(new Instruction(Opcodes.Jump(InstructionClass.Jmp32, JumpOperation.Jgt, OperandSource.Immediate), 3, 0, 0, limit));
                _emit.JumpIfFixup(skip);
                break;
            case 4:
                _emit.Mov(4, limit);
                _emit.JumpIfReg(JumpOperation.Jgt, 3, 4, skip);
                break;
            default:
                // Checked against a different register's bound.
                _emit.JumpIf(JumpOperation.Jgt, 4, limit, skip);
                break;
        }
        _emit.MovReg(1, baseRegister);
        _emit.Alu64Reg(AluOperation.Add, 1, 3);
        Access(1, offset, size, allowWrite: baseRegister != 6 || _random.Next(2) == 0);
        _emit.Label(skip);
        _emit.Mov(1, 0);
        _emit.Mov(3, Immediate());
    }

    private void Access(int baseRegister, short offset, int size, bool allowWrite, int avoid = -1)
    {
        var memorySize = SizeOf(size);
        int Scalar()
        {
            var register = ScalarRegister();
            return register == avoid ? 0 : register;
        }
        switch (allowWrite ? _random.Next(5) : 0)
        {
            case 0:
                _emit.Load(memorySize, Scalar(), baseRegister, offset, signExtend: size < 8 && _random.Next(3) == 0);
                break;
            case 1:
                _emit.StoreImm(memorySize, baseRegister, offset, Immediate());
                break;
            case 2:
            case 3:
                _emit.Store(memorySize, baseRegister, offset, Scalar());
                break;
            case 4 when baseRegister == 6 && !Hostile():
                _emit.Store(memorySize, baseRegister, offset, Scalar());
                break;
            default:
                {
                    var atomicSize = size == 8 ? MemorySize.DoubleWord : MemorySize.Word;
                    if (!Hostile())
                    {
                        offset = (short)(offset & ~(size == 8 ? 7 : 3));
                    }
                    var op = Pick(AtomicOperations);
                    var source = Scalar();
                    if (op == AtomicOperation.CmpXchg && source == 0)
                    {
                        source = 3;
                    }
                    _emit.Atomic(atomicSize, baseRegister, offset, source, op);
                    break;
                }
        }
    }

    /// <summary>A packet access through xdp_md's data pointer, bounds-checked against data_end unless hostile.</summary>
    private void PacketAccess()
    {
        var size = Pick(new[] { 1, 2, 4, 8 });
        var offset = (short)_random.Next(0, GuardedContextPacket - size + 1);
        _emit.Load(MemorySize.Word, 2, 6, 0);
        _emit.Load(MemorySize.Word, 3, 6, 4);
        var skip = _emit.NewLabel("packet");
        var hostile = Hostile();
        if (hostile)
        {
            offset = (short)Pick(new[] { -1, -8, -64, 64, 200, 256, 600, 4096 });
        }
        if (!hostile || _random.Next(2) == 0)
        {
            _emit.MovReg(1, 2);
            _emit.Alu64(AluOperation.Add, 1, offset + size);
            _emit.JumpIfReg(JumpOperation.Jgt, 1, 3, skip);
        }
        Access(2, offset, size, allowWrite: true, avoid: 3);
        _emit.Label(skip);
        _emit.Mov(1, 0);
        _emit.Mov(2, 0);
        _emit.Mov(3, Immediate());
    }

    private const int GuardedContextPacket = 64;

    /// <summary>
    /// Keeps xdp_md's data in r9 across bpf_xdp_adjust_head or _tail and uses it afterwards: after the call
    /// the packet may have moved, so a verifier must forget every packet pointer. Tame programs load it again.
    /// </summary>
    private void StalePacketPointer()
    {
        _emit.Load(MemorySize.Word, 9, 6, XdpLayout.Data);
        _emit.MovReg(1, 6);
        var head = _random.Next(2) == 0;
        _emit.Mov(2, head ? Pick(new[] { 14, 32, -32, 8 }) : Pick(new[] { -32, -50, 16 }));
        _emit.CallHelper(head ? HelperIds.XdpAdjustHead : HelperIds.XdpAdjustTail);
        var hostile = Hostile();
        if (!hostile)
        {
            _emit.Load(MemorySize.Word, 9, 6, XdpLayout.Data);
            _emit.Load(MemorySize.Word, 3, 6, XdpLayout.DataEnd);
            _emit.MovReg(1, 9);
            _emit.Alu64(AluOperation.Add, 1, 8);
        }
        var skip = _emit.NewLabel("stale");
        if (!hostile)
        {
            _emit.JumpIfReg(JumpOperation.Jgt, 1, 3, skip);
        }
        ResetArguments();
        Access(9, (short)(hostile ? Pick(new[] { 0, 8, 40, 56 }) : 0), 8, allowWrite: true, avoid: 9);
        _emit.Label(skip);
        _emit.Mov(9, 0);
        ResetArguments();
    }

    private void BoundedLoop()
    {
        _loopDepth++;
        var top = _emit.NewLabel("loop");
        _emit.Mov(9, _random.Next(1, 9));
        _emit.Label(top);
        var length = _random.Next(1, 4);
        for (var i = 0; i < length; i++)
        {
            if (_random.Next(2) == 0)
            {
                Alu();
            }
            else
            {
                MemoryAccess();
            }
        }
        _emit.Alu64(AluOperation.Sub, 9, 1);
        _emit.JumpIf(JumpOperation.Jne, 9, 0, top);
        _loopDepth--;
    }

    /// <summary>A loop that never ends: only an execution budget stops it.</summary>
    private void EndlessLoop()
    {
        var top = _emit.NewLabel("endless");
        _emit.Label(top);
        if (_random.Next(2) == 0)
        {
            _emit.Alu64(AluOperation.Add, 0, 1);
        }
        else
        {
            _emit.CallHelper(HelperIds.GetPrandomU32);
        }
        _emit.Jump(top);
    }

    private void LocalCall()
    {
        var kind = Hostile() && _random.Next(3) == 0 ? FunctionKind.Recursive : FunctionKind.Leaf;
        var label = _emit.NewLabel(kind == FunctionKind.Recursive ? "recursive" : "leaf");
        _functions.Add((label, kind));
        _emit.Mov(1, Immediate());
        if (Hostile())
        {
            Pointer(2, hostile: true);
        }
        else
        {
            _emit.MovReg(2, 10);
            _emit.Alu64(AluOperation.Add, 2, -32);
        }
        _emit.Mov(3, Immediate());
        _emit.Mov(4, Immediate());
        _emit.Mov(5, Immediate());
        _emit.CallLocal(label);
        ResetArguments();
    }

    /// <summary>Stores a pointer the program holds (context, stack, map value, record) into memory it may write.</summary>
    private void PointerEscape()
    {
        var pointer = Pick(new[] { 6, 7, 8, 10, 0 });
        // Spilling a pointer to the stack is what compilers do; storing it anywhere the host reads is a leak.
        var (baseRegister, offset, _) = !Hostile() ? (10, (short)(-8 * _random.Next(1, 9)), 0) : _random.Next(3) switch
        {
            0 => (7, (short)(_random.Next(0, 8) * 8), 0),
            1 => (10, (short)(-8 * _random.Next(1, 9)), 0),
            _ => _xdp ? (7, (short)0, 0) : (6, (short)(_random.Next(0, 8) * 8), 0),
        };
        _emit.Store(MemorySize.DoubleWord, baseRegister, offset, pointer);
    }

    /// <summary>Reads stack the program never wrote into r0 and stores it where the host can see it.</summary>
    private void UninitialisedStackRead()
    {
        _emit.Load(MemorySize.DoubleWord, 0, 10, (short)-(8 * _random.Next(9, 65)));
        _emit.Store(MemorySize.DoubleWord, 7, (short)(_random.Next(0, 8) * 8), 0);
    }

    private void ResetArguments()
    {
        for (var r = 1; r <= 5; r++)
        {
            _emit.Mov(r, Immediate());
        }
    }

    private int MapFor(int helperId) => helperId switch
    {
        HelperIds.MapLookupElem or HelperIds.MapUpdateElem or HelperIds.MapDeleteElem or HelperIds.ForEachMapElem => _random.Next(2) == 0 ? Values : Table,
        HelperIds.MapPushElem or HelperIds.MapPopElem or HelperIds.MapPeekElem => Queue,
        HelperIds.RingbufOutput or HelperIds.RingbufReserve or HelperIds.RingbufQuery => Events,
        HelperIds.TailCall => Programs,
        _ => Values,
    };

    private void HelperCall()
    {
        var helper = Pick(_helpers);
        var hostile = Hostile();
        var codeRegister = -1;
        switch (helper.Id)
        {
            case HelperIds.RingbufReserve when !hostile:
                ReserveAndRelease();
                return;
            case HelperIds.SpinLock or HelperIds.SpinUnlock when !hostile:
                _emit.MovReg(1, 7);
                _emit.CallHelper(HelperIds.SpinLock);
                _emit.MovReg(1, 7);
                _emit.CallHelper(HelperIds.SpinUnlock);
                ResetArguments();
                return;
            case HelperIds.RingbufSubmit or HelperIds.RingbufDiscard when !hostile:
                ReserveAndRelease();
                return;
        }
        var arguments = helper.Prototype.Arguments;
        for (var i = 0; i < arguments.Count; i++)
        {
            var register = i + 1;
            var argumentHostile = hostile && _random.Next(2) == 0;
            var kind = arguments[i];
            switch (kind)
            {
                case HelperArgumentKind.ConstMapPointer:
                    MapArgument(register, MapFor(helper.Id), argumentHostile);
                    break;
                case HelperArgumentKind.Context:
                    if (argumentHostile)
                    {
                        Pointer(register, hostile: true);
                    }
                    else
                    {
                        _emit.MovReg(register, 6);
                    }
                    break;
                case HelperArgumentKind.ConstString:
                    StringArgument(register, argumentHostile);
                    break;
                case HelperArgumentKind.Function:
                    FunctionArgument(register, helper.Id == HelperIds.ForEachMapElem ? FunctionKind.ForEachCallback : FunctionKind.LoopCallback, argumentHostile);
                    codeRegister = register;
                    break;
                case HelperArgumentKind.RingBufferRecord:
                    if (argumentHostile)
                    {
                        Pointer(register, hostile: true);
                    }
                    else
                    {
                        _emit.MovReg(register, 8);
                    }
                    break;
                case HelperArgumentKind.SpinLock:
                    if (argumentHostile)
                    {
                        Pointer(register, hostile: true);
                    }
                    else
                    {
                        _emit.MovReg(register, 7);
                    }
                    break;
                case HelperArgumentKind.ConstSize or HelperArgumentKind.ConstSizeOrZero:
                    Size(register, argumentHostile, kind == HelperArgumentKind.ConstSizeOrZero);
                    break;
                case HelperArgumentKind.StackPointerOrNull:
                    if (argumentHostile)
                    {
                        Pointer(register, hostile: true);
                    }
                    else if (_random.Next(3) == 0)
                    {
                        _emit.Mov(register, 0);
                    }
                    else
                    {
                        StackPointer(register);
                    }
                    break;
                case HelperArgumentKind.MapKey or HelperArgumentKind.MapValue or HelperArgumentKind.UninitializedMapValue
                    or HelperArgumentKind.Memory or HelperArgumentKind.MemoryOrNull or HelperArgumentKind.UninitializedMemory
                    or HelperArgumentKind.StackPointer:
                    if (argumentHostile)
                    {
                        Pointer(register, hostile: true);
                    }
                    else if (helper.Id is HelperIds.ProbeRead or HelperIds.ProbeReadStr or HelperIds.ProbeReadKernel or HelperIds.ProbeReadUser
                        or HelperIds.ProbeReadKernelStr or HelperIds.ProbeReadUserStr && i == 2)
                    {
                        Pointer(register, hostile: _random.Next(2) == 0);
                    }
                    else
                    {
                        StackPointer(register);
                    }
                    break;
                default:
                    ScalarArgument(register, helper.Id, i, argumentHostile);
                    break;
            }
        }
        _emit.CallHelper(helper.Id);
        AfterCall(helper, hostile, codeRegister);
    }

    private void AfterCall(HelperFunction helper, bool hostile, int codeRegister)
    {
        if (hostile && _random.Next(3) == 0)
        {
            // r1-r5 after a call hold whatever the helper left there: read one and let it out.
            var candidates = Enumerable.Range(1, 5).Where(r => r != codeRegister).ToArray();
            var register = Pick(candidates);
            _emit.MovReg(0, register);
            if (_random.Next(2) == 0)
            {
                _emit.Exit();
            }
            else
            {
                _emit.Store(MemorySize.DoubleWord, 7, (short)(_random.Next(0, 8) * 8), 0);
            }
        }
        else if (helper.Prototype.Return == HelperReturnKind.MapValueOrNull)
        {
            if (hostile)
            {
                _emit.MovReg(7, 0);
            }
            else
            {
                var skip = _emit.NewLabel("null");
                _emit.JumpIf(JumpOperation.Jeq, 0, 0, skip);
                _emit.MovReg(7, 0);
                _emit.Label(skip);
            }
        }
        else if (helper.Prototype.Return == HelperReturnKind.RingBufferRecordOrNull)
        {
            // Kept (and perhaps never released) in r8.
            _emit.MovReg(8, 0);
        }
        if (helper.Prototype.Return != HelperReturnKind.Integer)
        {
            _emit.Mov(0, 0);
        }
        ResetArguments();
    }

    private void ReserveAndRelease()
    {
        var size = _random.Next(1, 9) * 8;
        _emit.LoadMap(1, Events);
        _emit.Mov(2, size);
        _emit.Mov(3, 0);
        _emit.CallHelper(HelperIds.RingbufReserve);
        var skip = _emit.NewLabel("reserve");
        _emit.JumpIf(JumpOperation.Jeq, 0, 0, skip);
        _emit.MovReg(1, 0);
        var writes = _random.Next(1, 4);
        for (var i = 0; i < writes; i++)
        {
            var offset = (short)(_random.Next(0, size / 8) * 8);
            if (Hostile())
            {
                _emit.Store(MemorySize.DoubleWord, 1, offset, Pick(new[] { 6, 7, 10 }));
            }
            else
            {
                _emit.StoreImm(MemorySize.DoubleWord, 1, offset, Immediate());
            }
        }
        _emit.Mov(2, 0);
        _emit.CallHelper(_random.Next(2) == 0 ? HelperIds.RingbufSubmit : HelperIds.RingbufDiscard);
        _emit.Label(skip);
        _emit.Mov(0, 0);
        ResetArguments();
    }

    private void StackPointer(int register)
    {
        _emit.MovReg(register, 10);
        _emit.Alu64(AluOperation.Add, register, -64);
    }

    /// <summary>A pointer for a memory argument: the initialised stack, or (hostile) anything but.</summary>
    private void Pointer(int register, bool hostile)
    {
        if (!hostile)
        {
            switch (_random.Next(3))
            {
                case 0:
                    _emit.MovReg(register, 6);
                    break;
                case 1:
                    _emit.MovReg(register, 7);
                    break;
                default:
                    StackPointer(register);
                    break;
            }
            return;
        }
        switch (_random.Next(7))
        {
            case 0:
                _emit.MovReg(register, 6);
                _emit.Alu64(AluOperation.Add, register, Pick(new[] { -8, 1, 60, 64, 4096, -4096, 65535 }));
                break;
            case 1:
                _emit.MovReg(register, 10);
                _emit.Alu64(AluOperation.Add, register, Pick(new[] { 0, -1, -520, -4096, 8, 4096 }));
                break;
            case 2:
                _emit.MovReg(register, 7);
                _emit.Alu64(AluOperation.Add, register, Pick(new[] { 60, 64, 255, 256, -8 }));
                break;
            case 3:
                _emit.Mov(register, 0);
                break;
            case 4:
                _emit.LoadImm64(register, Pick(ForgedAddresses));
                break;
            case 5:
                _emit.LoadMap(register, _random.Next(Specs.Count));
                _emit.Alu64(AluOperation.Add, register, Pick(new[] { 0, 8 }));
                break;
            default:
                _emit.MovReg(register, 8);
                break;
        }
    }

    private void Size(int register, bool hostile, bool zeroAllowed)
    {
        if (_random.Next(4) == 0)
        {
            // A size read from memory and masked: 0-63 (plus one where zero is refused) fits the 64-byte
            // buffers; a hostile mask lets it reach 127, which a verifier must refuse.
            if (_xdp)
            {
                _emit.Load(MemorySize.Byte, register, 7, (short)_random.Next(0, ValueSize));
            }
            else
            {
                _emit.Load(MemorySize.Byte, register, 6, (short)_random.Next(0, 64));
            }
            _emit.Alu64(AluOperation.And, register, hostile ? 0x7f : 0x3f);
            if (!zeroAllowed)
            {
                _emit.Alu64(AluOperation.Add, register, 1);
            }
            return;
        }
        if (!hostile)
        {
            _emit.Mov(register, _random.Next(zeroAllowed ? 0 : 1, 65));
            return;
        }
        var choice = _random.Next(8);
        if (choice == 7)
        {
            _emit.LoadImm64(register, (1L << 32) + 8);
            return;
        }
        _emit.Mov(register, new[] { 0, 65, 513, 4096, int.MaxValue, int.MinValue, -1 }[choice]);
    }

    private void MapArgument(int register, int map, bool hostile)
    {
        if (!hostile)
        {
            _emit.LoadMap(register, map);
            return;
        }
        switch (_random.Next(4))
        {
            case 0:
                _emit.LoadMap(register, _random.Next(Specs.Count));
                break;
            case 1:
                // A forged handle: the stack's bytes where the map's GCHandle would be.
                StackPointer(register);
                break;
            default:
                Pointer(register, hostile: true);
                break;
        }
    }

    private void StringArgument(int register, bool hostile)
    {
        if (!hostile)
        {
            _emit.LoadMapValue(register, Strings, Pick(StringsAt).Offset);
            return;
        }
        switch (_random.Next(3))
        {
            case 0:
                _emit.LoadMapValue(register, Strings, ValueSize - 1);
                break;
            case 1:
                // Writable memory with no NUL in sight.
                _emit.LoadImm64(1 == register ? 2 : 1, -1);
                _emit.Store(MemorySize.DoubleWord, 7, 56, 1 == register ? 2 : 1);
                _emit.MovReg(register, 7);
                _emit.Alu64(AluOperation.Add, register, 56);
                break;
            default:
                Pointer(register, hostile: true);
                break;
        }
    }

    private void FunctionArgument(int register, FunctionKind kind, bool hostile)
    {
        if (!hostile || _random.Next(4) == 0)
        {
            var label = _emit.NewLabel(kind == FunctionKind.LoopCallback ? "loop_callback" : "each_callback");
            _functions.Add((label, kind));
            _emit.LoadCode(register, label);
            return;
        }
        // A forged callback: a number, a data pointer or a map handle where code belongs.
        Pointer(register, hostile: true);
    }

    private void ScalarArgument(int register, int helperId, int index, bool hostile)
    {
        if (helperId == HelperIds.Loop && index == 0)
        {
            if (hostile)
            {
                _emit.LoadImm64(register, Pick(new[] { 1L << 23, (1L << 23) + 1, -1, 1L << 32 }));
            }
            else
            {
                _emit.Mov(register, _random.Next(0, 9));
            }
            return;
        }
        if (helperId is HelperIds.XdpAdjustHead or HelperIds.XdpAdjustTail && index == 1)
        {
            _emit.Mov(register, hostile ? Pick(new[] { int.MinValue, int.MaxValue, -4096, 4096, -257, 300 }) : Pick(new[] { -14, -8, 0, 8, 14, 32 }));
            return;
        }
        if (helperId == HelperIds.TailCall && index == 2)
        {
            _emit.Mov(register, hostile ? Pick(new[] { -1, 2, int.MaxValue }) : _random.Next(0, 2));
            return;
        }
        if (hostile)
        {
            _emit.Mov(register, Immediate());
        }
        else
        {
            // Flags and such: zero, as real programs mostly pass.
            _emit.Mov(register, 0);
        }
    }

    /// <summary>Calls the planted host helper with a pointer near the context and lets its result out.</summary>
    private void PlantedCall()
    {
        _emit.MovReg(1, 6);
        _emit.Alu64(AluOperation.Add, 1, _random.Next(-32, 40) * 8);
        _emit.LoadImm64(2, PlantedMarker);
        _emit.CallHelper(PlantedHelperId);
        _emit.Store(MemorySize.DoubleWord, 7, 0, 0);
        _emit.Exit();
    }

    private void ExitRecipe()
    {
        switch (_random.Next(10))
        {
            case < 5:
                foreach (var register in ScalarPool.Skip(1))
                {
                    _emit.Alu64(AluOperation.Mul, 0, 0x2545f491);
                    _emit.Alu64Reg(AluOperation.Add, 0, register);
                }
                break;
            case < 8:
                break;
            default:
                if (Hostile())
                {
                    // A pointer the program was handed: its value may go out, it tells nothing new.
                    _emit.MovReg(0, Pick(new[] { 6, 7, 8, 10 }));
                }
                break;
        }
        _emit.Exit();
    }

    private void EmitFunction(string label, FunctionKind kind)
    {
        _emit.Label(label);
        switch (kind)
        {
            case FunctionKind.Recursive:
                _emit.Alu64(AluOperation.Add, 1, 1);
                _emit.StoreImm(MemorySize.DoubleWord, 10, -8, 0);
                _emit.CallLocal(label);
                _emit.Exit();
                return;
            case FunctionKind.LoopCallback:
                // long callback(u64 index, void *ctx)
                _emit.StoreImm(MemorySize.DoubleWord, 10, -8, 0);
                if (Hostile())
                {
                    Access(2, (short)Pick(new[] { 0, 8, 64, -8, 512 }), 8, allowWrite: true);
                }
                _emit.Mov(0, _random.Next(4) == 0 ? 1 : 0);
                _emit.Exit();
                return;
            case FunctionKind.ForEachCallback:
                // long callback(map, key*, value*, ctx)
                _emit.Load(MemorySize.DoubleWord, 0, 3, (short)(Hostile() ? Pick(new[] { 64, 60, -8, 4096 }) : _random.Next(0, 8) * 8));
                if (Hostile())
                {
                    _emit.Store(MemorySize.DoubleWord, 3, (short)Pick(new[] { 0, 64, 256 }), 10);
                }
                _emit.Mov(0, _random.Next(4) == 0 ? 1 : 0);
                _emit.Exit();
                return;
            default:
                // long leaf(scalar, stack pointer of the caller, scalars...)
                _emit.StoreImm(MemorySize.DoubleWord, 10, -8, 0);
                _emit.StoreImm(MemorySize.DoubleWord, 10, -16, 0);
                _emit.Load(MemorySize.DoubleWord, 0, 2, (short)(_random.Next(0, 4) * 8));
                for (var i = _random.Next(1, 4); i > 0; i--)
                {
                    _emit.Alu64Reg(Pick(new[] { AluOperation.Add, AluOperation.Xor, AluOperation.Mul }), 0, Pick(new[] { 1, 3, 4, 5 }));
                }
                if (Hostile())
                {
                    // r6-r9 of the caller are not the callee's to read.
                    _emit.Alu64Reg(AluOperation.Add, 0, Pick(new[] { 6, 7, 8, 9 }));
                }
                _emit.Exit();
                return;
        }
    }
}
