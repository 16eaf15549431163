using Bpftime.Diagnostics;
using Bpftime.Isa;

namespace Bpftime.Verification;

internal sealed partial class Analyzer
{
    private enum Access
    {
        Read,
        Write,
    }

    private void ExecuteLoad(VerifierState state, int pc, Instruction insn)
    {
        if (insn.MemoryMode is not (MemoryMode.Mem or MemoryMode.MemSx))
        {
            throw Unsupported(pc, insn);
        }
        var pointer = ReadRegister(state, insn.Src);
        var size = insn.MemorySize.ByteCount();
        var loaded = AccessMemory(state, pc, insn.Src, pointer, insn.Offset, size, Access.Read, value: default);
        if (insn.MemoryMode == MemoryMode.MemSx && loaded.IsScalar)
        {
            loaded = RegisterState.Scalar(loaded.Value.Truncate(size * 8).SignExtend(size * 8));
        }
        state.Current.Registers[insn.Dst] = loaded;
    }

    private void ExecuteStore(VerifierState state, int pc, Instruction insn)
    {
        if (insn.MemoryMode != MemoryMode.Mem)
        {
            throw Unsupported(pc, insn);
        }
        var pointer = ReadRegister(state, insn.Dst);
        var value = insn.Class == InstructionClass.St
            ? RegisterState.Constant((ulong)(long)insn.Imm)
            : ReadRegister(state, insn.Src);
        AccessMemory(state, pc, insn.Dst, pointer, insn.Offset, insn.MemorySize.ByteCount(), Access.Write, value, insn.Class == InstructionClass.Stx ? insn.Src : -1);
    }

    private void ExecuteAtomic(VerifierState state, int pc, Instruction insn)
    {
        var size = insn.MemorySize.ByteCount();
        var pointer = ReadRegister(state, insn.Dst);
        var cmpxchg = insn.AtomicOperation == AtomicOperation.CmpXchg;
        // The old value is read and a number written back.
        var old = AccessMemory(state, pc, insn.Dst, pointer, insn.Offset, size, Access.Read, default);
        if (!old.IsScalar)
        {
            throw new VerificationError(DiagnosticCodes.VerifierInvalidAtomic, pc,
                $"the memory at {R(insn.Dst)}{insn.Offset:+0;-0} holds a spilled pointer: atomic operations would corrupt it");
        }
        AccessMemory(state, pc, insn.Dst, pointer, insn.Offset, size, Access.Write, RegisterState.Unknown);
        var width = size == 8 ? ScalarRange.Unknown : ScalarRange.UnsignedRange(0, uint.MaxValue);
        if (cmpxchg)
        {
            state.Current.Registers[0] = RegisterState.Scalar(width);
        }
        else if ((insn.Imm & (int)AtomicOperation.Fetch) != 0)
        {
            state.Current.Registers[insn.Src] = RegisterState.Scalar(width);
        }
    }

    private void ExecuteLoadImm64(VerifierState state, int pc, Instruction insn)
    {
        if (!insn.IsLoadImm64)
        {
            throw Unsupported(pc, insn);
        }
        var next = pc + 1 < _code.Length ? _code[pc + 1] : default;
        var regs = state.Current.Registers;
        switch ((LoadImm64Source)insn.Src)
        {
            case LoadImm64Source.Immediate:
                regs[insn.Dst] = RegisterState.Constant((ulong)insn.Imm64With(next));
                break;
            case LoadImm64Source.MapByIndex:
            case LoadImm64Source.MapByFd:
                CheckMapIndex(pc, insn.Imm);
                regs[insn.Dst] = RegisterState.Pointer(RegisterType.MapPointer, target: insn.Imm);
                break;
            case LoadImm64Source.MapValueByIndex:
            case LoadImm64Source.MapValueByFd:
                {
                    CheckMapIndex(pc, insn.Imm);
                    var map = _maps[insn.Imm];
                    var offset = next.Imm;
                    if (map.Type != Objects.MapType.Array)
                    {
                        // Only arrays keep values at fixed addresses (as on Linux); the loader refuses the rest.
                        throw new VerificationError(DiagnosticCodes.VerifierInvalidMapReference, pc,
                            $"the address of a value of map '{map.Name}' is taken directly, but only array maps have values at fixed addresses; use bpf_map_lookup_elem");
                    }
                    if (offset < 0 || (uint)offset >= map.ValueSize)
                    {
                        throw new VerificationError(DiagnosticCodes.VerifierInvalidMapReference, pc,
                            $"the address of byte {offset} of map '{map.Name}' lies outside its {map.ValueSize}-byte value");
                    }
                    regs[insn.Dst] = RegisterState.Pointer(RegisterType.MapValue, target: insn.Imm, offset: offset);
                    break;
                }
            case LoadImm64Source.CodeAddress:
                regs[insn.Dst] = RegisterState.Pointer(RegisterType.Function, target: pc + 1 + insn.Imm);
                break;
            default:
                throw new VerificationError(DiagnosticCodes.VerifierUnsupportedInstruction, pc,
                    $"ld_imm64 with src {insn.Src} (a variable address) cannot be proven safe; use maps or global data");
        }
    }

    private void CheckMapIndex(int pc, int index)
    {
        if (index < 0 || index >= _declaredMaps)
        {
            throw new VerificationError(DiagnosticCodes.VerifierInvalidMapReference, pc,
                $"ld_imm64 refers to map #{index}, but the object has {_declaredMaps} map(s)");
        }
    }

    private static VerificationError Unsupported(int pc, Instruction insn) =>
        new(DiagnosticCodes.VerifierUnsupportedInstruction, pc,
            $"{Disassembler.Disassemble(insn)}: legacy packet loads (ld_abs, ld_ind) are not supported; read packet data through xdp_md.data after checking it against data_end");

    /// <summary>
    /// Checks one load or store of <paramref name="size"/> bytes at pointer + <paramref name="offset"/>
    /// and applies it: returns the loaded value for reads, updates the stack for writes.
    /// </summary>
    private RegisterState AccessMemory(VerifierState state, int pc, int register, RegisterState pointer, int offset, int size, Access access, RegisterState value, int valueRegister = -1)
    {
        var verb = access == Access.Read ? "read" : "write";
        switch (pointer.Type)
        {
            case RegisterType.NotInitialized:
                throw new VerificationError(DiagnosticCodes.VerifierUninitializedRegister, pc, $"{R(register)} is not initialised but is used as an address");
            case RegisterType.Scalar when pointer.ReferenceId != 0:
                throw new VerificationError(DiagnosticCodes.VerifierReleasedReference, pc,
                    $"{R(register)} held a ring-buffer record that was already submitted or discarded: it may not be used any more");
            case RegisterType.Scalar:
                throw new VerificationError(DiagnosticCodes.VerifierInvalidMemoryAccess, pc,
                    $"{R(register)} is {Describe(pointer)}, not a pointer: a {verb} through it could touch any memory");
            case RegisterType.MapValueOrNull:
            case RegisterType.RingBufferRecordOrNull:
            case RegisterType.MapPointerOrNull:
                throw new VerificationError(DiagnosticCodes.VerifierPossibleNullDereference, pc,
                    $"{R(register)} is {Describe(pointer)}: check it against 0 before dereferencing (the {(pointer.Type == RegisterType.MapValueOrNull ? "lookup" : "reserve")} may have failed)");
            case RegisterType.MapPointer:
            case RegisterType.PacketEnd:
            case RegisterType.Function:
                throw new VerificationError(DiagnosticCodes.VerifierInvalidMemoryAccess, pc,
                    $"{R(register)} is {Describe(pointer)}, which cannot be dereferenced; {(pointer.Type == RegisterType.PacketEnd ? "compare packet pointers with it instead" : "pass it to a helper instead")}");
        }

        if (access == Access.Write && value.IsPointer && pointer.Type != RegisterType.Stack)
        {
            throw new VerificationError(DiagnosticCodes.VerifierPointerLeak, pc,
                $"{R(valueRegister)} is {Describe(value)}: storing a pointer into {Describe(pointer)} would leak an address; only the stack may hold pointers");
        }

        var fixedStart = (long)pointer.Offset + offset;
        var low = fixedStart + pointer.Value.SMin;
        var high = fixedStart + pointer.Value.SMax + size; // exclusive
        var where = pointer.Value.IsConst
            ? $"at offset {low}"
            : $"at offsets {low}..{high - size} (variable)";

        switch (pointer.Type)
        {
            case RegisterType.Stack:
                return AccessStack(state, pc, register, pointer, low, high, size, access, value);

            case RegisterType.Context when _context.IsRawMemory && (_options.ContextLengthInR2 || !pointer.Value.IsConst):
                CheckRawMemory(state, pc, register, pointer, low, high, size, verb, where);
                return access == Access.Read ? RegisterState.Scalar(LoadedWidth(size)) : default;

            case RegisterType.Context:
                return AccessContext(pc, register, pointer, (int)fixedStart, size, access);

            case RegisterType.MapValue:
                {
                    var map = _maps[pointer.Target];
                    if (low < 0 || high > map.ValueSize)
                    {
                        throw new VerificationError(DiagnosticCodes.VerifierMapValueOutOfBounds, pc,
                            $"{R(register)} is {Describe(pointer)}: a {size}-byte {verb} {where} may fall outside the {map.ValueSize}-byte value of map '{map.Name}'{BoundsHint(pointer)}");
                    }
                    if (access == Access.Write && map.IsReadOnlyForPrograms)
                    {
                        throw new VerificationError(DiagnosticCodes.VerifierReadOnlyWrite, pc,
                            $"{R(register)} is {Describe(pointer)}: map '{map.Name}' is read-only for programs ({map.Section ?? "BPF_F_RDONLY_PROG"}); declare the variable without const to write it");
                    }
                    if (TouchesLock(map, low, high))
                    {
                        throw new VerificationError(DiagnosticCodes.VerifierSpinLockMisuse, pc,
                            $"{R(register)} is {Describe(pointer)}: a {size}-byte {verb} {where} touches the struct bpf_spin_lock of map '{map.Name}' (offset {LockOffset(map)}); only bpf_spin_lock and bpf_spin_unlock may use it");
                    }
                    if (access == Access.Read && map.IsReadOnlyForPrograms && _options.AssumeFrozenReadOnlyData && map.InitialValue is { } initial && pointer.Value.IsConst)
                    {
                        // Frozen read-only data: the bytes are known.
                        Span<byte> bytes = stackalloc byte[8];
                        bytes.Clear();
                        var start = (int)low;
                        var available = Math.Clamp(initial.Length - start, 0, size);
                        initial.Span.Slice(Math.Min(start, initial.Length), available).CopyTo(bytes);
                        return RegisterState.Constant(System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes));
                    }
                    return RegisterState.Scalar(LoadedWidth(size));
                }

            case RegisterType.Packet:
            case RegisterType.PacketMeta:
                {
                    if (pointer.Value.SMin < 0 || fixedStart < 0)
                    {
                        throw new VerificationError(DiagnosticCodes.VerifierPacketOutOfBounds, pc,
                            $"{R(register)} is {Describe(pointer)}: a {size}-byte {verb} {where} may fall before the start of the packet");
                    }
                    if (fixedStart + size > pointer.Range && !WithinPacketNoted(state, pointer, fixedStart - pointer.Offset + size))
                    {
                        throw new VerificationError(DiagnosticCodes.VerifierPacketOutOfBounds, pc,
                            $"{R(register)} is {Describe(pointer)}: a {size}-byte {verb} at offset {fixedStart} needs {fixedStart + size} byte(s) checked; compare the pointer plus {fixedStart + size} with {(pointer.Type == RegisterType.Packet ? "data_end" : "data")} first");
                    }
                    return RegisterState.Scalar(LoadedWidth(size));
                }

            case RegisterType.RingBufferRecord:
            case RegisterType.Memory:
                {
                    if (low < 0 || high > pointer.Range)
                    {
                        throw new VerificationError(pointer.Type == RegisterType.Memory ? DiagnosticCodes.VerifierInvalidMemoryAccess : DiagnosticCodes.VerifierMapValueOutOfBounds, pc,
                            $"{R(register)} is {Describe(pointer)}: a {size}-byte {verb} {where} may fall outside its {pointer.Range} bytes{BoundsHint(pointer)}");
                    }
                    if (access == Access.Write && pointer.Type == RegisterType.Memory)
                    {
                        throw new VerificationError(DiagnosticCodes.VerifierReadOnlyWrite, pc,
                            $"{R(register)} is {Describe(pointer)}: this memory (a map key) is read-only");
                    }
                    return RegisterState.Scalar(LoadedWidth(size));
                }
        }
        throw new VerificationError(DiagnosticCodes.VerifierInvalidMemoryAccess, pc, $"{R(register)} is {Describe(pointer)} and cannot be dereferenced");
    }

    /// <summary>
    /// Raw-memory contexts at a variable offset, or under the (mem, len) contract: [low, high) must
    /// lie in the declared size, or below the length in r2 (by the length's known minimum, or by the
    /// offset's relation to the length).
    /// </summary>
    private void CheckRawMemory(VerifierState state, int pc, int register, in RegisterState pointer, long low, long high, long size, string verb, string where)
    {
        if (low < 0)
        {
            throw new VerificationError(DiagnosticCodes.VerifierInvalidContextAccess, pc,
                $"{R(register)} is {Describe(pointer)}: a {size}-byte {verb} {where} may fall before the start of the memory{BoundsHint(pointer)}");
        }
        if (!_options.ContextLengthInR2)
        {
            if (high > _context.Size)
            {
                throw new VerificationError(DiagnosticCodes.VerifierInvalidContextAccess, pc,
                    $"{R(register)} is {Describe(pointer)}: a {size}-byte {verb} {where} may fall outside the {_context.Size}-byte context{BoundsHint(pointer)}");
            }
            return;
        }
        var fixedEnd = high - pointer.Value.SMax;
        if (high <= state.LengthMin || LengthFacts.AtMost(pointer, fixedEnd))
        {
            return;
        }
        throw new VerificationError(DiagnosticCodes.VerifierInvalidContextAccess, pc,
            $"{R(register)} is {Describe(pointer)}: a {size}-byte {verb} {where} is not proven to lie below the buffer length in r2 (known here to be at least {state.LengthMin}); compare the offset with the length first (e.g. if (i >= len) return, or if (len < {high}) return)");
    }

    private static string BoundsHint(in RegisterState pointer) =>
        pointer.Value.IsConst ? "" : "; bound the index with a comparison before adding it (e.g. if (i >= N) return)";

    private static ScalarRange LoadedWidth(int size) =>
        size >= 8 ? ScalarRange.Unknown : ScalarRange.UnsignedRange(0, (1UL << (size * 8)) - 1);

    private RegisterState AccessContext(int pc, int register, RegisterState pointer, int offset, int size, Access access)
    {
        if (!pointer.Value.IsConst || pointer.Value.ConstValue != 0)
        {
            throw new VerificationError(DiagnosticCodes.VerifierInvalidContextAccess, pc,
                $"{R(register)} is {Describe(pointer)}: context fields must be accessed at constant offsets");
        }
        var verb = access == Access.Read ? "read" : "write";
        if (offset < 0 || offset + size > _context.Size)
        {
            throw new VerificationError(DiagnosticCodes.VerifierInvalidContextAccess, pc,
                _context.IsRawMemory && _context.Size == 0
                    ? $"{R(register)} is the context pointer, but no context size was declared: a {size}-byte {verb} at offset {offset} cannot be proven in bounds; declare it (VerifierOptions.ContextSize, --ctx-size)"
                    : $"{R(register)} is {Describe(pointer)}: a {size}-byte {verb} at offset {offset} falls outside the {_context.Size}-byte context ({_context.Name})");
        }
        var field = _context.FieldAt(offset, size);
        if (_context.LinuxAccessRules && offset % size != 0)
        {
            throw new VerificationError(DiagnosticCodes.VerifierMisalignedAccess, pc,
                $"{R(register)} is {Describe(pointer)}: a {size}-byte {verb} at offset {offset} of {_context.Name} is not aligned to its width");
        }
        if (field is null && _context.LinuxAccessRules && _context.FieldAt(offset, 1) is { } wider)
        {
            throw new VerificationError(DiagnosticCodes.VerifierContextFieldSize, pc,
                $"{R(register)} is {Describe(pointer)}: a {size}-byte {verb} at offset {offset} is wider than field '{wider.Name}' of {_context.Name} ({wider.Size} bytes at offset {wider.Offset})");
        }
        if (field is null)
        {
            throw new VerificationError(DiagnosticCodes.VerifierInvalidContextAccess, pc,
                $"{R(register)} is {Describe(pointer)}: a {size}-byte {verb} at offset {offset} does not lie within one field of {_context.Name}");
        }
        if (field.Kind == ContextFieldKind.UntrackedPointer)
        {
            throw new VerificationError(DiagnosticCodes.VerifierContextFieldNotAccessible, pc,
                $"{R(register)} is {Describe(pointer)}: field '{field.Name}' of {_context.Name} is a pointer to an object the verifier does not track; it cannot be {(access == Access.Read ? "read" : "written")}");
        }
        if (field.Kind == ContextFieldKind.NotAccessible)
        {
            throw new VerificationError(DiagnosticCodes.VerifierContextFieldNotAccessible, pc,
                $"{R(register)} is {Describe(pointer)}: field '{field.Name}' of {_context.Name} may not be accessed by {_context.ProgramType} programs (Linux refuses it too)");
        }
        if (access == Access.Write && !field.Writable)
        {
            throw new VerificationError(DiagnosticCodes.VerifierReadOnlyWrite, pc,
                $"{R(register)} is {Describe(pointer)}: field '{field.Name}' of {_context.Name} is read-only{(_context.ProgramType is { } owner ? $" for {owner} programs" : "")}");
        }
        if (_context.LinuxAccessRules)
        {
            CheckLinuxFieldAccess(pc, field, offset, size, access);
        }
        if (field.Kind == ContextFieldKind.Scalar)
        {
            return RegisterState.Scalar(LoadedWidth(size));
        }
        if (offset != field.Offset || size != field.Size)
        {
            throw new VerificationError(DiagnosticCodes.VerifierMisalignedAccess, pc,
                $"field '{field.Name}' of {_context.Name} must be read whole ({field.Size} bytes at offset {field.Offset}) to yield a pointer");
        }
        _rewrites[pc] = new ContextRewrite(pc, field.Kind, offset);
        return field.Kind switch
        {
            ContextFieldKind.PacketStart => RegisterState.Pointer(RegisterType.Packet),
            ContextFieldKind.PacketEnd => RegisterState.Pointer(RegisterType.PacketEnd),
            _ => RegisterState.Pointer(RegisterType.PacketMeta),
        };
    }

    /// <summary>
    /// Linux's rules for its context structs (alignment is checked before): a store writes a whole field
    /// (or aligned elements of an array field such as cb[]); loads may be narrower than the field.
    /// </summary>
    private void CheckLinuxFieldAccess(int pc, ContextField field, int offset, int size, Access access)
    {
        if (access == Access.Write && !field.PartialWrites && (offset != field.Offset || size != field.Size))
        {
            throw new VerificationError(DiagnosticCodes.VerifierContextFieldSize, pc,
                $"a {size}-byte write at offset {offset} changes part of field '{field.Name}' of {_context.Name} ({field.Size} bytes at offset {field.Offset}); write the whole field");
        }
    }

    private RegisterState AccessStack(VerifierState state, int pc, int register, RegisterState pointer, long low, long high, int size, Access access, RegisterState value)
    {
        var frame = state.Frames[pointer.Target];
        var stackSize = frame.Stack.Length;
        var verb = access == Access.Read ? "read" : "write";
        if (low < -stackSize || high > 0)
        {
            throw new VerificationError(DiagnosticCodes.VerifierStackOutOfBounds, pc,
                $"{R(register)} is {Describe(pointer)}: a {size}-byte {verb} at {(pointer.Value.IsConst ? $"fp{low}" : $"fp{low}..fp{high - size} (variable)")} {(high > 0 ? "lies above the frame pointer" : $"lies below the {stackSize}-byte stack")}; the stack spans fp-{stackSize}..fp-1");
        }
        NoteStackDepth(state, pointer.Target, low);
        var first = (int)(low + stackSize);
        var end = (int)(high + stackSize);
        var stack = frame.Stack;

        if (!pointer.Value.IsConst)
        {
            if (access == Access.Read)
            {
                for (var i = first; i < end; i++)
                {
                    if (stack[i] == StackByte.Invalid)
                    {
                        throw new VerificationError(DiagnosticCodes.VerifierUninitializedStack, pc,
                            $"{R(register)} is {Describe(pointer)}: a {size}-byte read at a variable offset may touch fp{i - stackSize}, which is never written on this path; initialise the whole array first");
                    }
                }
                return RegisterState.Scalar(LoadedWidth(size));
            }
            if (value.IsPointer)
            {
                throw new VerificationError(DiagnosticCodes.VerifierInvalidPointerSpill, pc,
                    $"storing {Describe(value)} at a variable stack offset loses it; spill pointers at fixed, 8-byte aligned offsets");
            }
            for (var i = first; i < end; i++)
            {
                if (stack[i] != StackByte.Invalid)
                {
                    DropSpill(frame, i / 8);
                    stack[i] = StackByte.Misc;
                }
            }
            return default;
        }

        var aligned = first % 8 == 0 && size == 8;
        if (access == Access.Write)
        {
            if (aligned && (value.IsPointer || (value.IsScalar && !(value.IsConstant && value.Value.ConstValue == 0))))
            {
                frame.Spills[first / 8] = value;
                stack.AsSpan(first, 8).Fill(StackByte.Spill);
                return default;
            }
            if (value.IsPointer)
            {
                throw new VerificationError(DiagnosticCodes.VerifierInvalidPointerSpill, pc,
                    $"{Describe(value)} is stored with a {size}-byte write at fp{low}: pointers can only be spilled whole (8 bytes) at 8-byte aligned offsets");
            }
            for (var slot = first / 8; slot <= (end - 1) / 8; slot++)
            {
                DropSpill(frame, slot);
            }
            var zero = value.IsConstant && value.Value.Truncate(size * 8).ConstValue == 0;
            stack.AsSpan(first, size).Fill(zero ? StackByte.Zero : StackByte.Misc);
            return default;
        }

        // Reads.
        if (stack[first] == StackByte.Spill)
        {
            var spilled = frame.Spills[first / 8];
            if (aligned)
            {
                return spilled;
            }
            if (spilled.IsPointer)
            {
                throw new VerificationError(DiagnosticCodes.VerifierInvalidPointerSpill, pc,
                    $"a {size}-byte read at fp{low} takes part of a spilled pointer ({Describe(spilled)}); read it back whole with an 8-byte load");
            }
            if (first / 8 == (end - 1) / 8)
            {
                if (spilled.Value.IsConst)
                {
                    var shift = (first % 8) * 8;
                    return RegisterState.Scalar(ScalarRange.Const(spilled.Value.ConstValue >> shift).Truncate(size * 8));
                }
                return RegisterState.Scalar(first % 8 == 0 ? spilled.Value.Truncate(size * 8) : LoadedWidth(size));
            }
        }
        var allZero = true;
        for (var i = first; i < end; i++)
        {
            switch (stack[i])
            {
                case StackByte.Invalid:
                    throw new VerificationError(DiagnosticCodes.VerifierUninitializedStack, pc,
                        $"{R(register)} is {Describe(pointer)}: the {size}-byte read at fp{low} includes fp{i - stackSize}, which is never written on this path; initialise the variable first");
                case StackByte.Spill when frame.Spills[i / 8].IsPointer:
                    throw new VerificationError(DiagnosticCodes.VerifierInvalidPointerSpill, pc,
                        $"a {size}-byte read at fp{low} takes part of a spilled pointer; read it back whole with an 8-byte load");
                case StackByte.Zero:
                    break;
                default:
                    allZero = false;
                    break;
            }
        }
        return allZero ? RegisterState.Constant(0) : RegisterState.Scalar(LoadedWidth(size));
    }

    /// <summary>A spilled register partly overwritten: its bytes become plain data.</summary>
    private static void DropSpill(FrameState frame, int slot)
    {
        var start = slot * 8;
        if (frame.Stack[start] != StackByte.Spill)
        {
            return;
        }
        var spilled = frame.Spills[slot];
        var zero = spilled.IsConstant && spilled.Value.ConstValue == 0;
        frame.Stack.AsSpan(start, 8).Fill(zero ? StackByte.Zero : StackByte.Misc);
        frame.Spills[slot] = default;
    }

    /// <summary>A spilled slot starting <paramref name="offset"/> bytes into a helper's region is one of the entries that may hold pointers.</summary>
    private static bool IsPointerEntry(int offset, ulong pointerEntries) =>
        offset >= 0 && offset % 8 == 0 && offset / 8 < 64 && (pointerEntries & (1UL << (offset / 8))) != 0;

    /// <summary>Checks that a helper may read (or write) [pointer, pointer + size) and applies writes to the stack.</summary>
    /// <param name="pointerEntries">8-byte entries of the region (bit i: bytes 8i..8i+7) that may hold spilled pointers, which the helper reads as pointers.</param>
    private void AccessRegion(VerifierState state, int pc, int register, RegisterState pointer, long maxSize, Access access, string role, ulong pointerEntries = 0)
    {
        if (maxSize == 0)
        {
            return;
        }
        if (pointer.Type == RegisterType.Stack)
        {
            var frame = state.Frames[pointer.Target];
            var stackSize = frame.Stack.Length;
            var low = (long)pointer.Offset + pointer.Value.SMin;
            var high = (long)pointer.Offset + pointer.Value.SMax + maxSize;
            if (low < -stackSize || high > 0)
            {
                throw new VerificationError(DiagnosticCodes.VerifierInvalidHelperSize, pc,
                    $"{R(register)} is {Describe(pointer)}, {role} of up to {maxSize} byte(s): fp{low}..fp{high - 1} leaves the {stackSize}-byte stack");
            }
            NoteStackDepth(state, pointer.Target, low);
            var first = (int)(low + stackSize);
            var end = (int)(high + stackSize);
            if (access == Access.Read)
            {
                for (var i = first; i < end; i++)
                {
                    if (frame.Stack[i] == StackByte.Invalid)
                    {
                        throw new VerificationError(DiagnosticCodes.VerifierUninitializedStack, pc,
                            $"{R(register)} is {Describe(pointer)}, {role} of {maxSize} byte(s), but fp{i - stackSize} is never written on this path; initialise it (e.g. = {{}}) before the call");
                    }
                    if (frame.Stack[i] == StackByte.Spill && frame.Spills[i / 8].IsPointer && !IsPointerEntry(i / 8 * 8 - first, pointerEntries))
                    {
                        // The helper would copy an address into a map, a record or a buffer the program reads.
                        throw new VerificationError(DiagnosticCodes.VerifierPointerLeak, pc,
                            $"{R(register)} is {Describe(pointer)}, {role} of {maxSize} byte(s), but fp{i - stackSize} holds {Describe(frame.Spills[i / 8])}; passing it would leak an address");
                    }
                }
            }
            else
            {
                for (var i = first; i < end; i++)
                {
                    DropSpill(frame, i / 8);
                }
                frame.Stack.AsSpan(first, end - first).Fill(StackByte.Misc);
            }
            return;
        }
        if (pointer.Type == RegisterType.Context)
        {
            if (!_context.IsRawMemory)
            {
                throw new VerificationError(DiagnosticCodes.VerifierInvalidHelperArgument, pc,
                    $"{R(register)} is {Describe(pointer)}: {_context.Name} cannot be passed as {role}; copy the fields to the stack");
            }
            var start = (long)pointer.Offset + pointer.Value.SMin;
            var end = (long)pointer.Offset + pointer.Value.SMax + maxSize;
            var inside = _options.ContextLengthInR2
                ? end <= state.LengthMin || LengthFacts.AtMost(pointer, pointer.Offset + maxSize)
                : end <= _context.Size;
            if (start < 0 || !inside)
            {
                throw new VerificationError(DiagnosticCodes.VerifierInvalidHelperSize, pc,
                    $"{R(register)} is {Describe(pointer)}, {role} of up to {maxSize} byte(s): that runs past the {_context.Size}-byte context");
            }
            return;
        }
        long limit;
        string what;
        switch (pointer.Type)
        {
            case RegisterType.MapValue:
                {
                    var map = _maps[pointer.Target];
                    if (access == Access.Write && map.IsReadOnlyForPrograms)
                    {
                        throw new VerificationError(DiagnosticCodes.VerifierReadOnlyWrite, pc,
                            $"{R(register)} is {Describe(pointer)}, {role}, but map '{map.Name}' is read-only for programs");
                    }
                    if (access == Access.Write && TouchesLock(map, (long)pointer.Offset + pointer.Value.SMin, (long)pointer.Offset + pointer.Value.SMax + maxSize))
                    {
                        throw new VerificationError(DiagnosticCodes.VerifierSpinLockMisuse, pc,
                            $"{R(register)} is {Describe(pointer)}, {role} of up to {maxSize} byte(s), which would write the struct bpf_spin_lock of map '{map.Name}' (offset {LockOffset(map)})");
                    }
                    limit = map.ValueSize;
                    what = $"the {map.ValueSize}-byte value of map '{map.Name}'";
                    break;
                }
            case RegisterType.RingBufferRecord:
            case RegisterType.Memory:
                if (access == Access.Write && pointer.Type == RegisterType.Memory)
                {
                    throw new VerificationError(DiagnosticCodes.VerifierReadOnlyWrite, pc, $"{R(register)} is {Describe(pointer)}: this memory is read-only");
                }
                limit = pointer.Range;
                what = $"its {pointer.Range} bytes";
                break;
            case RegisterType.Packet:
            case RegisterType.PacketMeta:
                if (pointer.Value.SMin < 0 || pointer.Offset < 0 || pointer.Offset + maxSize > pointer.Range)
                {
                    throw new VerificationError(DiagnosticCodes.VerifierInvalidHelperSize, pc,
                        $"{R(register)} is {Describe(pointer)}, {role} of up to {maxSize} byte(s), but only {Math.Max(0, pointer.Range - pointer.Offset)} are checked against data_end");
                }
                return;
            default:
                AccessMemory(state, pc, register, pointer, 0, (int)Math.Min(maxSize, 8), access, RegisterState.Unknown);
                return;
        }
        var from = (long)pointer.Offset + pointer.Value.SMin;
        var to = (long)pointer.Offset + pointer.Value.SMax + maxSize;
        if (from < 0 || to > limit)
        {
            throw new VerificationError(DiagnosticCodes.VerifierInvalidHelperSize, pc,
                $"{R(register)} is {Describe(pointer)}, {role} of up to {maxSize} byte(s): bytes {from}..{to - 1} may fall outside {what}");
        }
    }
}
