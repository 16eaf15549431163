using System.Buffers.Binary;

namespace Bpftime.Engines.X64;

/// <summary>
/// A small x86-64 encoder: REX, ModRM/SIB, the short forms when an immediate or displacement fits
/// in a signed byte, and jumps to labels. A jump to a bound label (backwards) takes rel8 when it
/// fits; a jump to an unbound label takes rel32 (or rel8 when the caller asks for a short jump) and
/// is patched by <see cref="Finish"/> in one pass over the fix-ups.
/// </summary>
public sealed class X64Assembler
{
    private const int Unbound = -1;

    private byte[] _code;
    private int _length;
    private int[] _labels = new int[64];
    private int _labelCount;
    private readonly List<Fixup> _fixups = [];

    public X64Assembler(int capacity = 4096)
    {
        _code = new byte[Math.Max(capacity, 64)];
    }

    /// <summary>Bytes emitted so far.</summary>
    public int Position => _length;

    public ReadOnlySpan<byte> Code => _code.AsSpan(0, _length);

    // ---- labels ----

    public X64Label CreateLabel()
    {
        if (_labelCount == _labels.Length)
        {
            Array.Resize(ref _labels, _labels.Length * 2);
        }
        _labels[_labelCount] = Unbound;
        return new X64Label(_labelCount++);
    }

    public void Bind(X64Label label)
    {
        if (_labels[label.Id] != Unbound)
        {
            throw new InvalidOperationException($"label {label.Id} is already bound");
        }
        _labels[label.Id] = _length;
    }

    public bool IsBound(X64Label label) => _labels[label.Id] != Unbound;

    public int PositionOf(X64Label label) =>
        _labels[label.Id] != Unbound ? _labels[label.Id] : throw new InvalidOperationException($"label {label.Id} is not bound");

    /// <summary>Patches every jump to a label bound after the jump was emitted.</summary>
    public void Finish()
    {
        foreach (var fixup in _fixups)
        {
            var target = _labels[fixup.Label];
            if (target == Unbound)
            {
                throw new InvalidOperationException($"label {fixup.Label} was never bound");
            }
            var relative = target - (fixup.Position + fixup.Size);
            if (fixup.Size == 1)
            {
                if (relative is < sbyte.MinValue or > sbyte.MaxValue)
                {
                    throw new InvalidOperationException($"a short jump cannot reach {relative} bytes");
                }
                _code[fixup.Position] = (byte)(sbyte)relative;
            }
            else
            {
                BinaryPrimitives.WriteInt32LittleEndian(_code.AsSpan(fixup.Position), relative);
            }
        }
        _fixups.Clear();
    }

    // ---- raw bytes ----

    public void Emit(byte value)
    {
        if (_length == _code.Length)
        {
            Array.Resize(ref _code, _code.Length * 2);
        }
        _code[_length++] = value;
    }

    public void Emit16(short value)
    {
        Emit((byte)value);
        Emit((byte)(value >> 8));
    }

    public void Emit32(int value)
    {
        Emit((byte)value);
        Emit((byte)(value >> 8));
        Emit((byte)(value >> 16));
        Emit((byte)(value >> 24));
    }

    public void Emit64(long value)
    {
        Emit32((int)value);
        Emit32((int)(value >> 32));
    }

    /// <summary>Pads with int3 up to a multiple of <paramref name="alignment"/>.</summary>
    public void Align(int alignment)
    {
        while (_length % alignment != 0)
        {
            Emit(0xcc);
        }
    }

    /// <summary>
    /// <paramref name="count"/> bytes of no-ops that run: the recommended nop forms of up to 9 bytes
    /// (0F 1F /0 with a 66 prefix or a displacement), so padding costs one instruction per 9 bytes.
    /// </summary>
    public void Nops(int count)
    {
        // The forms of 1 to 9 bytes laid end to end: the one of n bytes starts at n(n-1)/2.
        ReadOnlySpan<byte> forms =
        [
            0x90,
            0x66, 0x90,
            0x0F, 0x1F, 0x00,
            0x0F, 0x1F, 0x40, 0x00,
            0x0F, 0x1F, 0x44, 0x00, 0x00,
            0x66, 0x0F, 0x1F, 0x44, 0x00, 0x00,
            0x0F, 0x1F, 0x80, 0x00, 0x00, 0x00, 0x00,
            0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x66, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00,
        ];
        while (count > 0)
        {
            var length = Math.Min(count, 9);
            foreach (var b in forms.Slice(length * (length - 1) / 2, length))
            {
                Emit(b);
            }
            count -= length;
        }
    }

    /// <summary>Overwrites 8 bytes already emitted (an absolute address known only after placement).</summary>
    public void Patch64(int position, long value) => BinaryPrimitives.WriteInt64LittleEndian(_code.AsSpan(position), value);

    public static bool FitsInSByte(long value) => value is >= sbyte.MinValue and <= sbyte.MaxValue;

    public static bool FitsInInt32(long value) => value is >= int.MinValue and <= int.MaxValue;

    // ---- prefixes and operands ----

    /// <summary>
    /// The operand-size prefix and REX. <paramref name="byteRegister"/> is a register used as an
    /// 8-bit operand: spl, bpl, sil and dil exist only with a REX prefix (without it they mean ah..bh).
    /// </summary>
    private void Prefix(X64Width width, int reg, int rm, int byteRegister = -1)
    {
        if (width == X64Width.Word)
        {
            Emit(0x66);
        }
        var rex = 0;
        if (width == X64Width.Qword)
        {
            rex |= 0x08;
        }
        if ((reg & 8) != 0)
        {
            rex |= 0x04;
        }
        if ((rm & 8) != 0)
        {
            rex |= 0x01;
        }
        if (rex != 0 || byteRegister is >= 4 and <= 7)
        {
            Emit((byte)(0x40 | rex));
        }
    }

    private void ModRmRegister(int reg, int rm) => Emit((byte)(0xc0 | ((reg & 7) << 3) | (rm & 7)));

    /// <summary>[base + disp]: no displacement when it is 0 (except rbp/r13), disp8 when it fits, else disp32; SIB for rsp/r12.</summary>
    private void ModRmMemory(int reg, X64Register baseRegister, int displacement)
    {
        var low = (int)baseRegister & 7;
        int mod;
        if (displacement == 0 && low != 5)
        {
            mod = 0;
        }
        else if (FitsInSByte(displacement))
        {
            mod = 1;
        }
        else
        {
            mod = 2;
        }
        Emit((byte)((mod << 6) | ((reg & 7) << 3) | low));
        if (low == 4)
        {
            Emit(0x24); // SIB: no index, base = rsp/r12
        }
        if (mod == 1)
        {
            Emit((byte)(sbyte)displacement);
        }
        else if (mod == 2)
        {
            Emit32(displacement);
        }
    }

    private void RegisterForm(X64Width width, ReadOnlySpan<byte> opcode, int reg, X64Register rm, int byteRegister = -1)
    {
        Prefix(width, reg, (int)rm, byteRegister);
        foreach (var b in opcode)
        {
            Emit(b);
        }
        ModRmRegister(reg, (int)rm);
    }

    private void MemoryForm(X64Width width, ReadOnlySpan<byte> opcode, int reg, X64Register baseRegister, int displacement, int byteRegister = -1)
    {
        Prefix(width, reg, (int)baseRegister, byteRegister);
        foreach (var b in opcode)
        {
            Emit(b);
        }
        ModRmMemory(reg, baseRegister, displacement);
    }

    // ---- moves ----

    /// <summary>mov dst, src (a 32-bit move clears the upper half of dst).</summary>
    public void Mov(X64Width width, X64Register dst, X64Register src) => RegisterForm(width, [0x89], (int)src, dst);

    /// <summary>Loads a 64-bit constant in the shortest form: xor, mov r32 (zero-extends), mov r/m64 imm32 (sign-extends) or movabs.</summary>
    public void MovImmediate(X64Register dst, long value)
    {
        if (value == 0)
        {
            Alu(X64AluOperation.Xor, X64Width.Dword, dst, dst);
        }
        else if (value is > 0 and <= uint.MaxValue)
        {
            MovImmediate32(dst, (uint)value);
        }
        else if (FitsInInt32(value))
        {
            Prefix(X64Width.Qword, 0, (int)dst);
            Emit(0xc7);
            ModRmRegister(0, (int)dst);
            Emit32((int)value);
        }
        else
        {
            MovAbsolute(dst, value);
        }
    }

    /// <summary>mov r32, imm32 (B8+r): the upper half of the register becomes 0.</summary>
    public void MovImmediate32(X64Register dst, uint value)
    {
        Prefix(X64Width.Dword, 0, (int)dst);
        Emit((byte)(0xb8 | ((int)dst & 7)));
        Emit32((int)value);
    }

    /// <summary>movabs r64, imm64; returns the position of the immediate so that it can be patched.</summary>
    public int MovAbsolute(X64Register dst, long value)
    {
        Prefix(X64Width.Qword, 0, (int)dst);
        Emit((byte)(0xb8 | ((int)dst & 7)));
        var position = _length;
        Emit64(value);
        return position;
    }

    /// <summary>Loads from [base + disp]; byte and word loads zero-extend to 32 bits (and so to 64).</summary>
    public void Load(X64Width width, X64Register dst, X64Register baseRegister, int displacement)
    {
        switch (width)
        {
            case X64Width.Byte:
                MemoryForm(X64Width.Dword, [0x0f, 0xb6], (int)dst, baseRegister, displacement);
                break;
            case X64Width.Word:
                MemoryForm(X64Width.Dword, [0x0f, 0xb7], (int)dst, baseRegister, displacement);
                break;
            default:
                MemoryForm(width, [0x8b], (int)dst, baseRegister, displacement);
                break;
        }
    }

    /// <summary>Sign-extending load of <paramref name="width"/> bytes into a 64-bit register (movsx/movsxd).</summary>
    public void LoadSignExtended(X64Width width, X64Register dst, X64Register baseRegister, int displacement)
    {
        switch (width)
        {
            case X64Width.Byte:
                MemoryForm(X64Width.Qword, [0x0f, 0xbe], (int)dst, baseRegister, displacement);
                break;
            case X64Width.Word:
                MemoryForm(X64Width.Qword, [0x0f, 0xbf], (int)dst, baseRegister, displacement);
                break;
            case X64Width.Dword:
                MemoryForm(X64Width.Qword, [0x63], (int)dst, baseRegister, displacement);
                break;
            default:
                MemoryForm(X64Width.Qword, [0x8b], (int)dst, baseRegister, displacement);
                break;
        }
    }

    /// <summary>Stores the low <paramref name="width"/> bytes of <paramref name="src"/> at [base + disp].</summary>
    public void Store(X64Width width, X64Register baseRegister, int displacement, X64Register src)
    {
        if (width == X64Width.Byte)
        {
            MemoryForm(X64Width.Dword, [0x88], (int)src, baseRegister, displacement, (int)src);
        }
        else
        {
            MemoryForm(width, [0x89], (int)src, baseRegister, displacement);
        }
    }

    /// <summary>Stores an immediate; a qword store sign-extends the 32-bit immediate.</summary>
    public void StoreImmediate(X64Width width, X64Register baseRegister, int displacement, int value)
    {
        switch (width)
        {
            case X64Width.Byte:
                MemoryForm(X64Width.Dword, [0xc6], 0, baseRegister, displacement);
                Emit((byte)value);
                break;
            case X64Width.Word:
                MemoryForm(X64Width.Word, [0xc7], 0, baseRegister, displacement);
                Emit16((short)value);
                break;
            default:
                MemoryForm(width, [0xc7], 0, baseRegister, displacement);
                Emit32(value);
                break;
        }
    }

    /// <summary>movsx/movsxd dst, src with the source's low <paramref name="sourceWidth"/> bytes; the result is <paramref name="width"/> wide.</summary>
    public void MovSignExtend(X64Width width, X64Register dst, X64Register src, X64Width sourceWidth)
    {
        switch (sourceWidth)
        {
            case X64Width.Byte:
                RegisterForm(width, [0x0f, 0xbe], (int)dst, src, (int)src);
                break;
            case X64Width.Word:
                RegisterForm(width, [0x0f, 0xbf], (int)dst, src);
                break;
            default:
                RegisterForm(X64Width.Qword, [0x63], (int)dst, src);
                break;
        }
    }

    /// <summary>movzx dst32, src16: zero-extends the low word into the whole register.</summary>
    public void MovZeroExtend16(X64Register dst, X64Register src) => RegisterForm(X64Width.Dword, [0x0f, 0xb7], (int)dst, src);

    public void Lea(X64Register dst, X64Register baseRegister, int displacement) =>
        MemoryForm(X64Width.Qword, [0x8d], (int)dst, baseRegister, displacement);

    /// <summary>
    /// lea dst, [base + index + disp] (scale 1). A base of rbp or r13 takes a zero disp8, which their
    /// encoding needs; the index may not be rsp, which means "no index" in a SIB byte.
    /// </summary>
    public void LeaIndexed(X64Register dst, X64Register baseRegister, X64Register index, int displacement)
    {
        if (index == X64Register.Rsp)
        {
            throw new ArgumentException("rsp cannot be an index register", nameof(index));
        }
        var rex = 0x48 | (((int)dst & 8) != 0 ? 0x04 : 0) | (((int)index & 8) != 0 ? 0x02 : 0) | (((int)baseRegister & 8) != 0 ? 0x01 : 0);
        Emit((byte)rex);
        Emit(0x8d);
        var low = (int)baseRegister & 7;
        var mod = displacement == 0 && low != 5 ? 0 : FitsInSByte(displacement) ? 1 : 2;
        Emit((byte)((mod << 6) | (((int)dst & 7) << 3) | 4));
        Emit((byte)((((int)index & 7) << 3) | low));
        if (mod == 1)
        {
            Emit((byte)(sbyte)displacement);
        }
        else if (mod == 2)
        {
            Emit32(displacement);
        }
    }

    /// <summary>cmovcc dst, src: dst = src when the condition holds (a 32-bit form clears the upper half either way).</summary>
    public void Cmov(X64Condition condition, X64Width width, X64Register dst, X64Register src) =>
        RegisterForm(width, [0x0f, (byte)(0x40 | (int)condition)], (int)dst, src);

    /// <summary>lea dst, [rip + label]: the address of a label (a data table after the code).</summary>
    public void LeaLabel(X64Register dst, X64Label label)
    {
        Prefix(X64Width.Qword, (int)dst, 0);
        Emit(0x8d);
        Emit((byte)(0x05 | (((int)dst & 7) << 3)));
        AddFixup(label, 4);
    }

    // ---- arithmetic ----

    /// <summary>op dst, src (register forms 01, 09, 21, 29, 31, 39).</summary>
    public void Alu(X64AluOperation operation, X64Width width, X64Register dst, X64Register src) =>
        RegisterForm(width, [(byte)(((int)operation << 3) | 1)], (int)src, dst);

    /// <summary>op dst, imm: 0x83 with imm8 when it fits, the short accumulator form for rax, else 0x81 with imm32.</summary>
    public void Alu(X64AluOperation operation, X64Width width, X64Register dst, int immediate)
    {
        if (FitsInSByte(immediate))
        {
            RegisterForm(width, [0x83], (int)operation, dst);
            Emit((byte)(sbyte)immediate);
        }
        else if (dst == X64Register.Rax)
        {
            Prefix(width, 0, 0);
            Emit((byte)(((int)operation << 3) | 5));
            Emit32(immediate);
        }
        else
        {
            RegisterForm(width, [0x81], (int)operation, dst);
            Emit32(immediate);
        }
    }

    /// <summary>op reg, [base + disp].</summary>
    public void AluLoad(X64AluOperation operation, X64Width width, X64Register reg, X64Register baseRegister, int displacement) =>
        MemoryForm(width, [(byte)(((int)operation << 3) | 3)], (int)reg, baseRegister, displacement);

    /// <summary>[lock] op [base + disp], src.</summary>
    public void AluStore(X64AluOperation operation, X64Width width, X64Register baseRegister, int displacement, X64Register src, bool locked = false)
    {
        if (locked)
        {
            Emit(0xf0);
        }
        MemoryForm(width, [(byte)(((int)operation << 3) | 1)], (int)src, baseRegister, displacement);
    }

    /// <summary>op dword/qword [base + disp], imm.</summary>
    public void AluMemoryImmediate(X64AluOperation operation, X64Width width, X64Register baseRegister, int displacement, int immediate)
    {
        if (FitsInSByte(immediate))
        {
            MemoryForm(width, [0x83], (int)operation, baseRegister, displacement);
            Emit((byte)(sbyte)immediate);
        }
        else
        {
            MemoryForm(width, [0x81], (int)operation, baseRegister, displacement);
            Emit32(immediate);
        }
    }

    /// <summary>inc/dec dword/qword [base + disp].</summary>
    public void IncrementMemory(X64Width width, X64Register baseRegister, int displacement, bool decrement = false) =>
        MemoryForm(width, [0xff], decrement ? 1 : 0, baseRegister, displacement);

    public void Test(X64Width width, X64Register a, X64Register b) => RegisterForm(width, [0x85], (int)b, a);

    /// <summary>test reg, imm32 (sign-extended for qword).</summary>
    public void Test(X64Width width, X64Register reg, int immediate)
    {
        if (reg == X64Register.Rax)
        {
            Prefix(width, 0, 0);
            Emit(0xa9);
        }
        else
        {
            RegisterForm(width, [0xf7], 0, reg);
        }
        Emit32(immediate);
    }

    public void Unary(X64UnaryOperation operation, X64Width width, X64Register reg) => RegisterForm(width, [0xf7], (int)operation, reg);

    /// <summary>imul dst, src.</summary>
    public void Imul(X64Width width, X64Register dst, X64Register src) => RegisterForm(width, [0x0f, 0xaf], (int)dst, src);

    /// <summary>imul dst, src, imm (imm8 form when it fits).</summary>
    public void Imul(X64Width width, X64Register dst, X64Register src, int immediate)
    {
        if (FitsInSByte(immediate))
        {
            RegisterForm(width, [0x6b], (int)dst, src);
            Emit((byte)(sbyte)immediate);
        }
        else
        {
            RegisterForm(width, [0x69], (int)dst, src);
            Emit32(immediate);
        }
    }

    /// <summary>Shift by a constant: the one-byte D1 form for a count of 1, else C1 ib.</summary>
    public void Shift(X64ShiftOperation operation, X64Width width, X64Register reg, byte count)
    {
        if (count == 1)
        {
            RegisterForm(width, [0xd1], (int)operation, reg);
        }
        else
        {
            RegisterForm(width, [0xc1], (int)operation, reg);
            Emit(count);
        }
    }

    /// <summary>Shift by cl (the hardware masks the count to 5 or 6 bits, as eBPF requires).</summary>
    public void ShiftByCl(X64ShiftOperation operation, X64Width width, X64Register reg) => RegisterForm(width, [0xd3], (int)operation, reg);

    /// <summary>bswap r32/r64.</summary>
    public void Bswap(X64Width width, X64Register reg)
    {
        Prefix(width, 0, (int)reg);
        Emit(0x0f);
        Emit((byte)(0xc8 | ((int)reg & 7)));
    }

    /// <summary>Sign-extends rax into rdx:rax (cqo) or eax into edx:eax (cdq).</summary>
    public void SignExtendAccumulator(X64Width width)
    {
        if (width == X64Width.Qword)
        {
            Emit(0x48);
        }
        Emit(0x99);
    }

    // ---- vector registers used as 64-bit counters (low quadword; SSE2) ----

    /// <summary>movq xmm, [base + disp]: loads 8 bytes and clears the upper quadword.</summary>
    public void LoadXmm(int xmm, X64Register baseRegister, int displacement)
    {
        Emit(0xf3);
        MemoryForm(X64Width.Dword, [0x0f, 0x7e], xmm, baseRegister, displacement);
    }

    /// <summary>movq [base + disp], xmm: stores the low quadword.</summary>
    public void StoreXmm(X64Register baseRegister, int displacement, int xmm)
    {
        Emit(0x66);
        MemoryForm(X64Width.Dword, [0x0f, 0xd6], xmm, baseRegister, displacement);
    }

    /// <summary>movq dst, xmm: the low quadword into a general register.</summary>
    public void MoveFromXmm(X64Register dst, int xmm)
    {
        Emit(0x66);
        RegisterForm(X64Width.Qword, [0x0f, 0x7e], xmm, dst);
    }

    /// <summary>pcmpeqd xmm, xmm: every bit set (each quadword -1).</summary>
    public void SetAllOnesXmm(int xmm)
    {
        Emit(0x66);
        RegisterForm(X64Width.Dword, [0x0f, 0x76], xmm, (X64Register)xmm);
    }

    /// <summary>paddq dst, src: adds each quadword.</summary>
    public void AddQuadwordsXmm(int dst, int src)
    {
        Emit(0x66);
        RegisterForm(X64Width.Dword, [0x0f, 0xd4], dst, (X64Register)src);
    }

    // ---- atomics ----

    /// <summary>lock xadd [base + disp], src: adds and leaves the old value in src.</summary>
    public void LockXadd(X64Width width, X64Register baseRegister, int displacement, X64Register src)
    {
        Emit(0xf0);
        MemoryForm(width, [0x0f, 0xc1], (int)src, baseRegister, displacement);
    }

    /// <summary>xchg [base + disp], src (locked by the hardware).</summary>
    public void Xchg(X64Width width, X64Register baseRegister, int displacement, X64Register src) =>
        MemoryForm(width, [0x87], (int)src, baseRegister, displacement);

    /// <summary>lock cmpxchg [base + disp], src: compares with rax/eax; the old value ends in rax/eax when they differ.</summary>
    public void LockCmpxchg(X64Width width, X64Register baseRegister, int displacement, X64Register src)
    {
        Emit(0xf0);
        MemoryForm(width, [0x0f, 0xb1], (int)src, baseRegister, displacement);
    }

    // ---- stack and control flow ----

    public void Push(X64Register reg)
    {
        if ((int)reg >= 8)
        {
            Emit(0x41);
        }
        Emit((byte)(0x50 | ((int)reg & 7)));
    }

    public void Pop(X64Register reg)
    {
        if ((int)reg >= 8)
        {
            Emit(0x41);
        }
        Emit((byte)(0x58 | ((int)reg & 7)));
    }

    public void Ret() => Emit(0xc3);

    public void CallRegister(X64Register reg) => RegisterForm(X64Width.Dword, [0xff], 2, reg);

    public void JmpRegister(X64Register reg) => RegisterForm(X64Width.Dword, [0xff], 4, reg);

    /// <summary>call rel32 to a label.</summary>
    public void Call(X64Label label)
    {
        Emit(0xe8);
        AddFixup(label, 4);
    }

    public void Jmp(X64Label label, bool forceShort = false)
    {
        if (IsBound(label))
        {
            var relative = PositionOf(label) - (_length + 2);
            if (FitsInSByte(relative))
            {
                Emit(0xeb);
                Emit((byte)(sbyte)relative);
            }
            else
            {
                Emit(0xe9);
                Emit32(PositionOf(label) - (_length + 4));
            }
        }
        else if (forceShort)
        {
            Emit(0xeb);
            AddFixup(label, 1);
        }
        else
        {
            Emit(0xe9);
            AddFixup(label, 4);
        }
    }

    public void Jcc(X64Condition condition, X64Label label, bool forceShort = false)
    {
        if (IsBound(label))
        {
            var relative = PositionOf(label) - (_length + 2);
            if (FitsInSByte(relative))
            {
                Emit((byte)(0x70 | (int)condition));
                Emit((byte)(sbyte)relative);
            }
            else
            {
                Emit(0x0f);
                Emit((byte)(0x80 | (int)condition));
                Emit32(PositionOf(label) - (_length + 4));
            }
        }
        else if (forceShort)
        {
            Emit((byte)(0x70 | (int)condition));
            AddFixup(label, 1);
        }
        else
        {
            Emit(0x0f);
            Emit((byte)(0x80 | (int)condition));
            AddFixup(label, 4);
        }
    }

    private void AddFixup(X64Label label, int size)
    {
        _fixups.Add(new Fixup(_length, label.Id, size));
        for (var i = 0; i < size; i++)
        {
            Emit(0);
        }
    }

    private readonly record struct Fixup(int Position, int Label, int Size);

    // ---- tables ----

    /// <summary>movsxd dst, dword [base + index*4]: one entry of a table of 32-bit offsets.</summary>
    public void LoadSignExtendedScaled4(X64Register dst, X64Register baseRegister, X64Register index)
    {
        if (index == X64Register.Rsp)
        {
            throw new ArgumentException("rsp cannot be an index register", nameof(index));
        }
        var (r, b, x) = ((int)dst, (int)baseRegister, (int)index);
        Emit((byte)(0x48 | ((r >> 3) << 2) | ((x >> 3) << 1) | (b >> 3)));
        Emit(0x63);
        // Base rbp or r13 with no displacement would mean "no base": give them a zero disp8.
        var mod = (b & 7) == 5 ? 1 : 0;
        Emit((byte)((mod << 6) | ((r & 7) << 3) | 4));
        Emit((byte)((2 << 6) | ((x & 7) << 3) | (b & 7)));
        if (mod == 1)
        {
            Emit(0);
        }
    }
}
