using System.Globalization;
using Bpftime.Diagnostics;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Maps;

namespace Bpftime.Engines.Interpreter;

/// <summary>
/// Turns a <see cref="ProgramImage"/> into the run loop's form once, at load. Every jump target is
/// made absolute; a target outside the program, and the slot after the last instruction, point at
/// sentinel entries appended after the program that fault when reached. So the loop never checks
/// the program counter and still cannot run off the array.
/// </summary>
internal sealed class ProgramDecoder
{
    private readonly ProgramImage _image;
    private readonly List<DecodedInstruction> _sentinels = [];
    private readonly List<HelperFunction> _helpers = [];
    private readonly Dictionary<int, int> _helperSlots = [];
    private int _count;

    private ProgramDecoder(ProgramImage image)
    {
        _image = image;
    }

    /// <summary>The decoded program followed by its sentinels.</summary>
    public DecodedInstruction[] Code { get; private set; } = [];

    /// <summary>Helpers named by call instructions, by slot.</summary>
    public HelperFunction[] Helpers => [.. _helpers];

    /// <summary>Instruction indexes of ld_imm64 src 4 with the absolute index of the function they name.</summary>
    public List<(int Instruction, int Function)> FunctionAddresses { get; } = [];

    public static ProgramDecoder Decode(ProgramImage image)
    {
        var decoder = new ProgramDecoder(image);
        decoder.Run();
        return decoder;
    }

    private void Run()
    {
        var instructions = _image.Instructions.Span;
        _count = instructions.Length;
        if (_count == 0)
        {
            throw Refuse(DiagnosticCodes.LoadEmptyProgram, null, "the program has no instructions");
        }
        var code = new DecodedInstruction[_count];
        for (var pc = 0; pc < _count; pc++)
        {
            var instruction = instructions[pc];
            if (instruction.IsLoadImm64)
            {
                if (pc + 1 >= _count)
                {
                    throw Refuse(DiagnosticCodes.TruncatedLoadImm64, pc, "ld_imm64 is the last slot: its second half is missing");
                }
                code[pc] = DecodeLoadImm64(pc, instruction, instructions[pc + 1]);
                code[pc + 1] = new DecodedInstruction { Op = InterpreterOp.LoadImm64Tail, Imm = pc + 1 };
                pc++;
                continue;
            }
            code[pc] = DecodeOne(pc, instruction);
        }
        // A program that cannot reach exit could only loop or run off the end: refuse it now.
        ProgramValidator.EnsureExitReachable(instructions, _image.Name, _image.Origin);

        // Slot n: running past the end. Then one sentinel per out-of-range jump, naming its source.
        var all = new DecodedInstruction[_count + 1 + _sentinels.Count];
        code.CopyTo(all, 0);
        all[_count] = new DecodedInstruction { Op = InterpreterOp.FellOffEnd, Imm = _count - 1 };
        _sentinels.CopyTo(all, _count + 1);
        Code = all;
    }

    private DecodedInstruction DecodeOne(int pc, Instruction instruction) => instruction.Class switch
    {
        InstructionClass.Alu64 => DecodeAlu(pc, instruction, wide: true),
        InstructionClass.Alu => DecodeAlu(pc, instruction, wide: false),
        InstructionClass.Jmp => DecodeJump(pc, instruction, wide: true),
        InstructionClass.Jmp32 => DecodeJump(pc, instruction, wide: false),
        InstructionClass.Ldx => DecodeLoad(pc, instruction),
        InstructionClass.St => DecodeStore(pc, instruction),
        InstructionClass.Stx => DecodeStoreRegister(pc, instruction),
        InstructionClass.Ld when ProgramValidator.IsLegacyPacketLoad(instruction) => DecodeLegacyPacketLoad(pc, instruction),
        _ => throw Unsupported(pc, instruction, "legacy packet access (ABS/IND) and other LD forms are not supported"),
    };

    private DecodedInstruction DecodeAlu(int pc, Instruction instruction, bool wide)
    {
        var register = instruction.Source == OperandSource.Register;
        var operation = instruction.AluOperation;
        WritableRegister(pc, instruction.Dst);
        if (register && operation is not (AluOperation.Neg or AluOperation.End))
        {
            ReadableRegister(pc, instruction.Src);
        }
        InterpreterOp op;
        switch (operation)
        {
            case AluOperation.Neg:
                op = wide ? InterpreterOp.Neg64 : InterpreterOp.Neg32;
                break;
            case AluOperation.End:
                op = (wide, register, instruction.Imm) switch
                {
                    (true, false, 16) => InterpreterOp.Bswap16,
                    (true, false, 32) => InterpreterOp.Bswap32,
                    (true, false, 64) => InterpreterOp.Bswap64,
                    (false, false, 16) => InterpreterOp.Le16,
                    (false, false, 32) => InterpreterOp.Le32,
                    (false, false, 64) => InterpreterOp.Le64,
                    (false, true, 16) => InterpreterOp.Be16,
                    (false, true, 32) => InterpreterOp.Be32,
                    (false, true, 64) => InterpreterOp.Be64,
                    _ => throw Unsupported(pc, instruction, "a byte swap takes a width of 16, 32 or 64, and bswap (ALU64) has no source bit"),
                };
                break;
            case AluOperation.Div or AluOperation.Mod:
                if (instruction.Offset is not (0 or 1))
                {
                    throw Unsupported(pc, instruction, "division and modulo take offset 0 (unsigned) or 1 (signed)");
                }
                var signed = instruction.Offset == 1;
                op = Pick(wide, register, (operation, signed) switch
                {
                    (AluOperation.Div, false) => (InterpreterOp.Div64Imm, InterpreterOp.Div32Imm),
                    (AluOperation.Div, true) => (InterpreterOp.SDiv64Imm, InterpreterOp.SDiv32Imm),
                    (_, false) => (InterpreterOp.Mod64Imm, InterpreterOp.Mod32Imm),
                    _ => (InterpreterOp.SMod64Imm, InterpreterOp.SMod32Imm),
                });
                break;
            case AluOperation.Mov when instruction.Offset != 0:
                op = (wide, register, instruction.Offset) switch
                {
                    (true, true, 8) => InterpreterOp.MovSx8To64,
                    (true, true, 16) => InterpreterOp.MovSx16To64,
                    (true, true, 32) => InterpreterOp.MovSx32To64,
                    (false, true, 8) => InterpreterOp.MovSx8To32,
                    (false, true, 16) => InterpreterOp.MovSx16To32,
                    _ => throw Unsupported(pc, instruction, "movsx takes a register source and offset 8, 16 or 32 (8 or 16 for 32-bit moves)"),
                };
                break;
            default:
                op = Pick(wide, register, operation switch
                {
                    AluOperation.Add => (InterpreterOp.Add64Imm, InterpreterOp.Add32Imm),
                    AluOperation.Sub => (InterpreterOp.Sub64Imm, InterpreterOp.Sub32Imm),
                    AluOperation.Mul => (InterpreterOp.Mul64Imm, InterpreterOp.Mul32Imm),
                    AluOperation.Or => (InterpreterOp.Or64Imm, InterpreterOp.Or32Imm),
                    AluOperation.And => (InterpreterOp.And64Imm, InterpreterOp.And32Imm),
                    AluOperation.Xor => (InterpreterOp.Xor64Imm, InterpreterOp.Xor32Imm),
                    AluOperation.Lsh => (InterpreterOp.Lsh64Imm, InterpreterOp.Lsh32Imm),
                    AluOperation.Rsh => (InterpreterOp.Rsh64Imm, InterpreterOp.Rsh32Imm),
                    AluOperation.Arsh => (InterpreterOp.Arsh64Imm, InterpreterOp.Arsh32Imm),
                    AluOperation.Mov => (InterpreterOp.Mov64Imm, InterpreterOp.Mov32Imm),
                    _ => throw Unsupported(pc, instruction, "unknown arithmetic operation"),
                });
                break;
        }
        return new DecodedInstruction { Op = op, Dst = instruction.Dst, Src = instruction.Src, Imm = instruction.Imm };
    }

    // Each *Imm operation is directly followed by its *Reg twin in InterpreterOp.
    private static InterpreterOp Pick(bool wide, bool register, (InterpreterOp Wide, InterpreterOp Narrow) immediateForms) =>
        (InterpreterOp)((byte)(wide ? immediateForms.Wide : immediateForms.Narrow) + (register ? 1 : 0));

    private DecodedInstruction DecodeJump(int pc, Instruction instruction, bool wide)
    {
        var register = instruction.Source == OperandSource.Register;
        switch (instruction.JumpOperation)
        {
            case JumpOperation.Ja:
                if (register)
                {
                    throw Unsupported(pc, instruction, "ja has no register form");
                }
                // JMP32 ja is gotol: the 32-bit immediate is the offset.
                return new DecodedInstruction { Op = InterpreterOp.Ja, Target = JumpTarget(pc, wide ? instruction.Offset : (long)instruction.Imm) };
            case JumpOperation.Exit:
                if (!wide || register)
                {
                    throw Unsupported(pc, instruction, "exit is a JMP-class instruction with no source bit");
                }
                return new DecodedInstruction { Op = InterpreterOp.Exit };
            case JumpOperation.Call:
                return DecodeCall(pc, instruction, wide, register);
            case (JumpOperation)0xe0 or (JumpOperation)0xf0:
                throw Unsupported(pc, instruction, "unknown jump operation");
        }
        ReadableRegister(pc, instruction.Dst);
        if (register)
        {
            ReadableRegister(pc, instruction.Src);
        }
        var index = instruction.JumpOperation switch
        {
            JumpOperation.Jeq => 0,
            JumpOperation.Jgt => 1,
            JumpOperation.Jge => 2,
            JumpOperation.Jset => 3,
            JumpOperation.Jne => 4,
            JumpOperation.Jsgt => 5,
            JumpOperation.Jsge => 6,
            JumpOperation.Jlt => 7,
            JumpOperation.Jle => 8,
            JumpOperation.Jslt => 9,
            _ => 10, // Jsle
        };
        var first = wide ? InterpreterOp.Jeq64Imm : InterpreterOp.Jeq32Imm;
        var op = (InterpreterOp)((byte)first + (index * 2) + (register ? 1 : 0));
        return new DecodedInstruction
        {
            Op = op,
            Dst = instruction.Dst,
            Src = instruction.Src,
            Imm = instruction.Imm,
            Target = JumpTarget(pc, instruction.Offset),
        };
    }

    private DecodedInstruction DecodeCall(int pc, Instruction instruction, bool wide, bool register)
    {
        if (!wide)
        {
            throw Unsupported(pc, instruction, "calls are JMP-class instructions");
        }
        if (register)
        {
            // callx: the register holding the helper id is dst (Linux encoding); assemblers that put the
            // register number in imm with dst 0 are read the same way.
            var callee = instruction.Dst != 0 ? instruction.Dst : instruction.Imm;
            if (callee is < 0 or > 10)
            {
                throw Refuse(DiagnosticCodes.LoadInvalidRegister, pc, $"callx names register {callee}; registers are r0 to r10");
            }
            return new DecodedInstruction { Op = InterpreterOp.CallRegister, Src = (byte)callee };
        }
        switch ((CallSource)instruction.Src)
        {
            case CallSource.Helper:
                if (!_image.Helpers.TryGet(instruction.Imm, out var helper))
                {
                    // Not refused at load: code that is never reached may name helpers of other hosts.
                    return new DecodedInstruction { Op = InterpreterOp.UnknownHelper, Imm = instruction.Imm };
                }
                if (!_helperSlots.TryGetValue(helper.Id, out var slot))
                {
                    slot = _helpers.Count;
                    _helpers.Add(helper);
                    _helperSlots.Add(helper.Id, slot);
                }
                return new DecodedInstruction { Op = InterpreterOp.CallHelper, Target = slot, Imm = instruction.Imm };
            case CallSource.Local:
                return new DecodedInstruction { Op = InterpreterOp.CallLocal, Target = JumpTarget(pc, instruction.Imm) };
            default:
                throw Unsupported(pc, instruction, "calls to kernel functions (kfuncs, src 2) have no meaning outside the kernel");
        }
    }

    /// <summary>ld_abs / ld_ind: only for a program loaded for a socket buffer (r6's data and data_end are then the packet's).</summary>
    private DecodedInstruction DecodeLegacyPacketLoad(int pc, Instruction instruction)
    {
        if (!_image.SocketBuffer)
        {
            throw Refuse(DiagnosticCodes.LegacyPacketLoadUnsupported, pc, ProgramValidator.LegacyPacketLoadRefusal(instruction));
        }
        var indirect = instruction.MemoryMode == MemoryMode.Ind;
        if (indirect)
        {
            ReadableRegister(pc, instruction.Src);
        }
        return new DecodedInstruction
        {
            Op = indirect ? InterpreterOp.LdInd : InterpreterOp.LdAbs,
            Src = instruction.Src,
            Aux = (byte)instruction.MemorySize.ByteCount(),
            Imm = instruction.Imm,
        };
    }

    private DecodedInstruction DecodeLoad(int pc, Instruction instruction)
    {
        WritableRegister(pc, instruction.Dst);
        ReadableRegister(pc, instruction.Src);
        var op = (instruction.MemoryMode, instruction.MemorySize) switch
        {
            (MemoryMode.Mem, MemorySize.Byte) => InterpreterOp.LdxB,
            (MemoryMode.Mem, MemorySize.Half) => InterpreterOp.LdxH,
            (MemoryMode.Mem, MemorySize.Word) => InterpreterOp.LdxW,
            (MemoryMode.Mem, MemorySize.DoubleWord) => InterpreterOp.LdxDW,
            (MemoryMode.MemSx, MemorySize.Byte) => InterpreterOp.LdxSB,
            (MemoryMode.MemSx, MemorySize.Half) => InterpreterOp.LdxSH,
            (MemoryMode.MemSx, MemorySize.Word) => InterpreterOp.LdxSW,
            _ => throw Unsupported(pc, instruction, "LDX takes mode MEM, or MEMSX with a width of 1, 2 or 4 bytes"),
        };
        return new DecodedInstruction { Op = op, Dst = instruction.Dst, Src = instruction.Src, Target = instruction.Offset };
    }

    private DecodedInstruction DecodeStore(int pc, Instruction instruction)
    {
        ReadableRegister(pc, instruction.Dst);
        if (instruction.MemoryMode != MemoryMode.Mem)
        {
            throw Unsupported(pc, instruction, "ST takes mode MEM only");
        }
        var op = instruction.MemorySize switch
        {
            MemorySize.Byte => InterpreterOp.StB,
            MemorySize.Half => InterpreterOp.StH,
            MemorySize.Word => InterpreterOp.StW,
            _ => InterpreterOp.StDW,
        };
        return new DecodedInstruction { Op = op, Dst = instruction.Dst, Target = instruction.Offset, Imm = instruction.Imm };
    }

    private DecodedInstruction DecodeStoreRegister(int pc, Instruction instruction)
    {
        ReadableRegister(pc, instruction.Dst);
        ReadableRegister(pc, instruction.Src);
        if (instruction.MemoryMode == MemoryMode.Mem)
        {
            var op = instruction.MemorySize switch
            {
                MemorySize.Byte => InterpreterOp.StxB,
                MemorySize.Half => InterpreterOp.StxH,
                MemorySize.Word => InterpreterOp.StxW,
                _ => InterpreterOp.StxDW,
            };
            return new DecodedInstruction { Op = op, Dst = instruction.Dst, Src = instruction.Src, Target = instruction.Offset };
        }
        if (instruction.MemoryMode != MemoryMode.Atomic || instruction.MemorySize is not (MemorySize.Word or MemorySize.DoubleWord))
        {
            throw Unsupported(pc, instruction, "STX takes mode MEM, or ATOMIC with a width of 4 or 8 bytes");
        }
        var kind = instruction.AtomicOperation switch
        {
            AtomicOperation.Add => AtomicKind.Add,
            AtomicOperation.Or => AtomicKind.Or,
            AtomicOperation.And => AtomicKind.And,
            AtomicOperation.Xor => AtomicKind.Xor,
            AtomicOperation.FetchAdd => AtomicKind.FetchAdd,
            AtomicOperation.FetchOr => AtomicKind.FetchOr,
            AtomicOperation.FetchAnd => AtomicKind.FetchAnd,
            AtomicOperation.FetchXor => AtomicKind.FetchXor,
            AtomicOperation.Xchg => AtomicKind.Exchange,
            AtomicOperation.CmpXchg => AtomicKind.CompareExchange,
            _ => throw Unsupported(pc, instruction, $"unknown atomic operation 0x{instruction.Imm:x}"),
        };
        if (kind >= AtomicKind.FetchAdd && kind != AtomicKind.CompareExchange)
        {
            // The fetched value lands in src, which must then be writable.
            WritableRegister(pc, instruction.Src);
        }
        return new DecodedInstruction
        {
            Op = instruction.MemorySize == MemorySize.Word ? InterpreterOp.Atomic32 : InterpreterOp.Atomic64,
            Dst = instruction.Dst,
            Src = instruction.Src,
            Aux = (byte)kind,
            Target = instruction.Offset,
        };
    }

    private DecodedInstruction DecodeLoadImm64(int pc, Instruction first, Instruction second)
    {
        WritableRegister(pc, first.Dst);
        long value;
        switch ((LoadImm64Source)first.Src)
        {
            case LoadImm64Source.Immediate:
                value = first.Imm64With(second);
                break;
            case LoadImm64Source.MapByFd or LoadImm64Source.MapByIndex:
                value = MapAt(pc, first.Imm).Handle;
                break;
            case LoadImm64Source.MapValueByFd or LoadImm64Source.MapValueByIndex:
                var map = MapAt(pc, first.Imm);
                try
                {
                    value = map.DirectValueAddress((uint)second.Imm);
                }
                catch (Exception e) when (e is NotSupportedException or BpfException)
                {
                    throw Refuse(DiagnosticCodes.UnknownMapReference, pc,
                        $"ld_imm64 asks for byte {(uint)second.Imm} of the value of map '{map.Name}': {e.Message}");
                }
                break;
            case LoadImm64Source.VariableAddress:
                throw Refuse(DiagnosticCodes.UnsupportedLoadImm64Source, pc,
                    "ld_imm64 with src 3 names a kernel variable by BTF id; a user-space runtime has no kernel variables to point at");
            case LoadImm64Source.CodeAddress:
                // As the kernel: the function is imm instructions after the ld_imm64's first slot, plus one.
                var function = JumpTarget(pc, first.Imm);
                if (function >= _count)
                {
                    throw Refuse(DiagnosticCodes.JumpOutOfRange, pc,
                        $"ld_imm64 src 4 names instruction {(long)pc + 1 + first.Imm}, outside the program's {_count} instructions");
                }
                FunctionAddresses.Add((pc, function));
                value = 0; // Patched by the executable with the function's entry point.
                break;
            default:
                throw Unsupported(pc, first, $"ld_imm64 src {first.Src} is not defined");
        }
        return new DecodedInstruction { Op = InterpreterOp.LoadImm64, Dst = first.Dst, Imm = value };
    }

    private Maps.BpfMap MapAt(int pc, int index)
    {
        var maps = _image.Maps;
        if (index < 0 || index >= maps.Count)
        {
            throw Refuse(DiagnosticCodes.UnknownMapReference, pc,
                $"ld_imm64 names map {index}, but the program image has {maps.Count} map(s)");
        }
        return maps[index];
    }

    /// <summary>The absolute index of pc + 1 + offset; out of range gives a sentinel that faults when reached.</summary>
    private int JumpTarget(int pc, long offset)
    {
        var target = pc + 1 + offset;
        if (target >= 0 && target < _count)
        {
            return (int)target;
        }
        _sentinels.Add(new DecodedInstruction { Op = InterpreterOp.JumpOutOfRange, Imm = pc, Target = (int)Math.Clamp(target, int.MinValue, int.MaxValue) });
        return _count + _sentinels.Count; // Slot _count is the fell-off-the-end sentinel.
    }

    private void ReadableRegister(int pc, byte register)
    {
        if (register > 10)
        {
            throw Refuse(DiagnosticCodes.LoadInvalidRegister, pc, $"instruction names r{register}; registers are r0 to r10");
        }
    }

    private void WritableRegister(int pc, byte register)
    {
        ReadableRegister(pc, register);
        if (register == 10)
        {
            throw Refuse(DiagnosticCodes.LoadInvalidRegister, pc, "instruction writes r10, the read-only frame pointer");
        }
    }

    private BpfException Unsupported(int pc, Instruction instruction, string why) =>
        Refuse(DiagnosticCodes.UnsupportedInstruction, pc,
            $"instruction {instruction} (opcode 0x{instruction.Opcode.ToString("x2", CultureInfo.InvariantCulture)}) cannot run: {why}");

    private BpfException Refuse(string code, int? pc, string message) =>
        new(new BpfDiagnostic(code, message, File: _image.Origin, Program: _image.Name, InstructionIndex: pc));
}
