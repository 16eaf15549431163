using Bpftime.Compiler.Llvm;
using Bpftime.Diagnostics;
using Bpftime.Engines.Aot;
using Bpftime.Isa;

namespace Bpftime.Compiler.IrGen;

/// <summary>
/// Translates one function (the entry or a local-call target) instruction by instruction. Registers
/// are allocas that mem2reg turns into SSA values; the frame is a real stack allocation with r10
/// pointing one past its end. Every operation is total: division by zero, INT_MIN / -1 and
/// over-wide shifts follow RFC 9669 through selects and masks, so no LLVM undefined behaviour or
/// trap can arise from the program's values.
/// </summary>
internal sealed partial class FunctionEmitter
{
    private const int RegisterCount = 11;
    private const int FramePointer = 10;

    private readonly ProgramEmitter _program;
    private readonly IrGenerator _generator;
    private readonly IrTypes _t;
    private readonly LLVMBuilderRef _b;
    private readonly int _entry;
    private readonly int _end;
    private readonly LLVMValueRef _function;
    private readonly LLVMValueRef[] _registers = new LLVMValueRef[RegisterCount];
    private readonly Dictionary<int, LLVMBasicBlockRef> _blocks = [];
    private readonly Dictionary<(int Target, bool InStripLoop), (LLVMBasicBlockRef Block, LLVMValueRef Source)> _backEdges = [];
    private LLVMValueRef _stopFlag;
    private LLVMValueRef _frameBase;
    private LLVMValueRef _contextStart;
    private readonly LLVMValueRef[] _contextLimits = new LLVMValueRef[4];
    private readonly LLVMValueRef[] _stackLimits = new LLVMValueRef[4];
    private LLVMValueRef _fixedRegionsLive;
    private LLVMValueRef _budget;
    private LLVMValueRef _frame;
    private int _frameBytes;
    private bool _terminated;

    public FunctionEmitter(ProgramEmitter program, int entry, int end)
    {
        _program = program;
        _generator = program.Generator;
        _t = _generator.Types;
        _b = _generator.Builder;
        _entry = entry;
        _end = end;
        _function = program.FunctionAt(entry);
    }

    private bool IsEntryFunction => _entry == 0;

    private Instruction[] Code => _program.Code;

    public void Emit()
    {
        var context = _generator.Context;
        var prologue = LLVM.AppendBasicBlockInContext(context, _function, "prologue");
        for (var pc = _entry; pc < _end; pc++)
        {
            if (_program.Layout.IsLeader(pc))
            {
                _blocks[pc] = LLVM.AppendBasicBlockInContext(context, _function, $"pc{pc}");
            }
        }

        LLVM.PositionBuilderAtEnd(_b, prologue);
        EmitPrologue();
        LLVM.BuildBr(_b, _blocks[_entry]);
        _terminated = true;

        EmitRange(_entry, _end);
        if (!_terminated)
        {
            throw _program.Fail(DiagnosticCodes.IrBadControlFlow, "the function does not end with exit or a jump", _end - 1);
        }
    }

    /// <summary>Emits the slots [<paramref name="from"/>, <paramref name="to"/>) into the blocks <see cref="_blocks"/> names.</summary>
    private void EmitRange(int from, int to)
    {
        for (var pc = from; pc < to; pc++)
        {
            RouteStripLoopEdges(pc);
            var slot = PlaceForStrip(pc);
            if (slot == StripSlot.Skipped)
            {
                if (Code[pc].IsLoadImm64)
                {
                    pc++;
                }
                continue;
            }
            if (slot == StripSlot.Usual && _blocks.TryGetValue(pc, out var block))
            {
                if (!_terminated)
                {
                    LLVM.BuildBr(_b, block);
                }
                LLVM.PositionBuilderAtEnd(_b, block);
                _terminated = false;
            }
            if (_terminated)
            {
                // Code no jump reaches (after exit or an unconditional jump): nothing to emit.
                if (Code[pc].IsLoadImm64)
                {
                    pc++;
                }
                continue;
            }
            if (IsStripLoopHeader(pc, out var loop))
            {
                EmitStripLoop(loop);
            }
            pc = EmitInstruction(pc);
        }
    }

    private void EmitPrologue()
    {
        for (var r = 0; r < RegisterCount; r++)
        {
            _registers[r] = LLVM.BuildAlloca(_b, _t.Int64, $"r{r}");
            LLVM.SetAlignment(_registers[r], 8);
        }
        // All frames of a run lie in one block owned by the entry (callee frames below their callers',
        // as in eBPF), so that "the live stack" is one range with nothing of the native stack inside
        // it: helpers (%s of the print helpers, for verified code too) may read only that range.
        // Verified code that no helper can ask about its frames keeps one per function (see RecordsFrames).
        var frameBytes = _program.RecordsFrames ? _program.StackSize * _program.Layout.CallDepth : _program.StackSize;
        var frame = default(LLVMValueRef);
        if (IsEntryFunction || !_program.RecordsFrames)
        {
            frame = LLVM.BuildAlloca(_b, LLVM.ArrayType(_t.Int8, (uint)frameBytes), "frame");
            LLVM.SetAlignment(frame, 16);
            _frame = frame;
            _frameBytes = frameBytes;
        }
        // The run state; its first field is the exit flag that stops and faults travel up through.
        _stopFlag = LLVM.GetParam(_function, IsEntryFunction ? 2u : 5u);
        if (IsEntryFunction && !_program.CheckMemory && _program.NeedsStopFlag)
        {
            LLVM.BuildStore(_b, _t.I32(AotCheckedAbi.Running), _stopFlag);
        }

        // Every register starts defined so that no read can see LLVM's undef.
        Set(0, _t.I64(0));
        if (IsEntryFunction)
        {
            Set(1, LLVM.BuildPtrToInt(_b, LLVM.GetParam(_function, 0), _t.Int64, "ctx"));
            Set(2, LLVM.GetParam(_function, 1));
            Set(3, _t.I64(0));
            Set(4, _t.I64(0));
            Set(5, _t.I64(0));
        }
        else
        {
            for (var r = 1; r <= 5; r++)
            {
                Set(r, LLVM.GetParam(_function, (uint)(r - 1)));
            }
        }
        for (var r = 6; r <= 9; r++)
        {
            Set(r, _t.I64(0));
        }
        LLVMValueRef frameEnd;
        if (frame.IsNull)
        {
            frameEnd = LLVM.GetParam(_function, 6);
        }
        else
        {
            var blockBase = LLVM.BuildPtrToInt(_b, frame, _t.Int64, "frame.base");
            frameEnd = LLVM.BuildAdd(_b, blockBase, _t.I64(frameBytes), "fp");
        }
        Set(FramePointer, frameEnd);
        // The stack a function may touch runs from its own frame up to the end of the outermost one.
        _frameBase = LLVM.BuildSub(_b, frameEnd, _t.I64(_program.StackSize), "frame.low");
        if (IsEntryFunction && _program.RecordsFrames)
        {
            // The live frames, for helpers: checked code starts from the whole block (it zeroes each
            // frame as it starts), verified code from its own frame (the rest of the block holds
            // whatever the native stack held before); both move the bottom before each helper call.
            LLVM.BuildStore(_b, frameEnd, StateField(AotCheckedAbi.StackTop));
            LLVM.BuildStore(_b, _program.CheckMemory ? LLVM.BuildPtrToInt(_b, frame, _t.Int64, "") : _frameBase, StateField(AotCheckedAbi.StackBottom));
        }
        if (_program.RecordsFrames)
        {
            // Unverified code may read stack it never wrote: it must see zeros, not the host's old
            // data (an alloca's bytes are undefined). So may a helper's %s for verified code, reading
            // on past an unterminated buffer into slots the program never wrote. Only this function's
            // frame, as it starts; LLVM drops the stores that the code overwrites before reading.
            // Other verified code skips it: the verifier refuses every read of unwritten stack.
            var low = frame.IsNull
                ? LLVM.BuildIntToPtr(_b, _frameBase, _t.Pointer, "")
                : LLVM.BuildGEP2(_b, _t.Int8, frame, [_t.I64(frameBytes - _program.StackSize)], "");
            _generator.ZeroMemory(low, _program.StackSize);
        }
        if (_program.CheckMemory)
        {
            // The bounds do not change during a run (program stores cannot reach the run state, which
            // lies outside every region they may write, and no helper moves the context or the frames),
            // so each function reads them once and derives, per access size, the limit of the one
            // unsigned compare an access needs (see InRegion); LLVM keeps them in registers.
            // The entry's callers (LlvmJitExecutable, AotProgramExecutable) store its arguments as the
            // run state's context, [ctx, ctx + len) or nothing for a null ctx. Taking the arguments
            // themselves lets LLVM fold "address - start" for pointers the program derives from r1 into
            // the plain offset (an induction variable in a loop, compared with len directly), which
            // frees registers and leaves one compare per access in the loop.
            LLVMValueRef contextLength;
            if (IsEntryFunction)
            {
                _contextStart = LLVM.BuildPtrToInt(_b, LLVM.GetParam(_function, 0), _t.Int64, "ctx.start");
                var isNull = LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntEQ, _contextStart, _t.I64(0), "");
                contextLength = LLVM.BuildSelect(_b, isNull, _t.I64(0), LLVM.GetParam(_function, 1), "ctx.length");
            }
            else
            {
                _contextStart = LLVM.BuildLoad2(_b, _t.Int64, StateField(AotCheckedAbi.ContextStart), "ctx.start");
                contextLength = RegionLength(_contextStart, LLVM.BuildLoad2(_b, _t.Int64, StateField(AotCheckedAbi.ContextEnd), "ctx.end"), "ctx");
            }
            var stackTop = LLVM.BuildLoad2(_b, _t.Int64, StateField(AotCheckedAbi.StackTop), "stack.top");
            _contextLength = contextLength;
            _stackLength = RegionLength(_frameBase, stackTop, "stack");
            SizeLimits(contextLength, _contextLimits, "ctx");
            SizeLimits(_stackLength, _stackLimits, "stack");
            if (_generator.FixedRegions.Count > 0)
            {
                var live = LLVM.BuildLoad2(_b, _t.Int32, StateField(AotCheckedAbi.FixedRegionsLive), "");
                _fixedRegionsLive = LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntNE, live, _t.I32(0), "fixed.live");
            }
        }
        if (_program.CountsBudget)
        {
            // The counter lives in a local that LLVM keeps in a register; the run state holds it only
            // while control is outside this function (helper and local calls, returns), see StoreBudget.
            _budget = LLVM.BuildAlloca(_b, _t.Int64, "budget.slot");
            LLVM.BuildStore(_b, LLVM.BuildLoad2(_b, _t.Int64, StateField(AotCheckedAbi.Budget), ""), _budget);
        }
        PrepareStripLoops();
    }

    /// <summary>The length of [low, high), or 0 when high lies below low.</summary>
    private LLVMValueRef RegionLength(LLVMValueRef low, LLVMValueRef high, string name)
    {
        var nonEmpty = LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntUGE, high, low, "");
        return LLVM.BuildSelect(_b, nonEmpty, LLVM.BuildSub(_b, high, low, ""), _t.I64(0), $"{name}.length");
    }

    /// <summary>
    /// For a region of <paramref name="length"/> bytes and each access size 1, 2, 4 and 8: the count of
    /// addresses an access of that size may start at (length - size + 1, or 0 when the region is shorter).
    /// </summary>
    private void SizeLimits(LLVMValueRef length, LLVMValueRef[] limits, string name)
    {
        for (var i = 0; i < limits.Length; i++)
        {
            var size = 1L << i;
            var fits = LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntUGE, length, _t.I64(size), "");
            limits[i] = LLVM.BuildSelect(_b, fits, LLVM.BuildSub(_b, length, _t.I64(size - 1), ""), _t.I64(0), $"{name}.limit{size}");
        }
    }

    private static int SizeIndex(int size) => System.Numerics.BitOperations.Log2((uint)size);

    /// <summary>
    /// address - low &lt; limit, unsigned: one compare for "the access lies in [low, high)". An address
    /// below low wraps to a huge offset, and limit excludes every start whose last byte would pass high,
    /// so neither the address nor its end can wrap around into the region.
    /// </summary>
    private LLVMValueRef InRegion(LLVMValueRef address, LLVMValueRef low, LLVMValueRef limit) =>
        LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntULT, LLVM.BuildSub(_b, address, low, ""), limit, "");

    /// <summary>Before control leaves the function (a call, a return): the run state's budget is the current one.</summary>
    private void StoreBudget()
    {
        if (_program.CountsBudget)
        {
            LLVM.BuildStore(_b, LLVM.BuildLoad2(_b, _t.Int64, _budget, ""), StateField(AotCheckedAbi.Budget));
        }
    }

    /// <summary>After a call: the callee, or the callbacks a helper ran, spent from the run state's budget.</summary>
    private void ReloadBudget()
    {
        if (_program.CountsBudget)
        {
            LLVM.BuildStore(_b, LLVM.BuildLoad2(_b, _t.Int64, StateField(AotCheckedAbi.Budget), ""), _budget);
        }
    }

    private LLVMValueRef StateField(int offset) =>
        LLVM.BuildGEP2(_b, _t.Int8, _stopFlag, [_t.I64(offset)], "");

    /// <summary>
    /// Checked code: the access must lie in the context, the live stack or a fixed map value, else the
    /// slow path asks the runtime (other map values, a callback's callers); a refusal records the
    /// instruction and unwinds with a fault. The hot path is one compare against the region the base
    /// register suggests (the frames for r10, else the context); the other regions and the call are out
    /// of line, on a path LLVM is told is cold.
    /// </summary>
    private void EmitAccessCheck(LLVMValueRef address, int size, bool write, int pc, int baseRegister)
    {
        if (!_program.CheckMemory)
        {
            return;
        }
        var index = SizeIndex(size);
        var inContext = () => InRegion(address, _contextStart, _contextLimits[index]);
        var inStack = () => InRegion(address, _frameBase, _stackLimits[index]);
        var (first, second) = baseRegister == FramePointer ? (inStack, inContext) : (inContext, inStack);

        var context = _generator.Context;
        var others = LLVM.AppendBasicBlockInContext(context, _function, $"regions{pc}");
        var slow = LLVM.AppendBasicBlockInContext(context, _function, $"check{pc}");
        var fault = LLVM.AppendBasicBlockInContext(context, _function, $"fault{pc}");
        var resume = LLVM.AppendBasicBlockInContext(context, _function, $"checked{pc}");
        LLVM.BuildCondBr(_b, _generator.Likely(first()), resume, others);

        LLVM.PositionBuilderAtEnd(_b, others);
        var inside = second();
        foreach (var region in _generator.FixedRegions)
        {
            if ((write && !region.Writable) || region.Length < (ulong)size)
            {
                continue;
            }
            var limit = _t.I64((long)(region.Length - (ulong)size + 1));
            inside = LLVM.BuildOr(_b, inside, LLVM.BuildAnd(_b, _fixedRegionsLive, InRegion(address, _t.I64(region.Start), limit), ""), "");
        }
        LLVM.BuildCondBr(_b, inside, resume, slow);

        LLVM.PositionBuilderAtEnd(_b, slow);
        var (type, check) = _generator.MemoryCheck();
        var verdict = LLVM.BuildCall2(_b, type, check, [_stopFlag, address, _t.I32(size | (write ? 0x100 : 0))], "");
        var refused = LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntNE, verdict, _t.I32(0), "");
        LLVM.BuildCondBr(_b, refused, fault, resume);

        LLVM.PositionBuilderAtEnd(_b, fault);
        EmitFaultExit(pc);
        LLVM.PositionBuilderAtEnd(_b, resume);
    }

    /// <summary>
    /// Code that counts (checked, or verified without proven termination): takes one unit of the run's
    /// budget (a backward jump, a local call), or, when none is left, records
    /// <see cref="AotCheckedAbi.FaultBudgetExhausted"/> and leaves.
    /// </summary>
    private void SpendBudget(int pc)
    {
        if (_program.CountsBudget)
        {
            SpendBudget(_t.I32(pc), pc);
        }
    }

    /// <param name="pc">The instruction a fault names (an i32).</param>
    /// <param name="tag">Names the blocks.</param>
    private void SpendBudget(LLVMValueRef pc, int tag)
    {
        var left = LLVM.BuildLoad2(_b, _t.Int64, _budget, "budget");
        var spent = LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntEQ, left, _t.I64(0), "");
        var context = _generator.Context;
        var fault = LLVM.AppendBasicBlockInContext(context, _function, $"spent{tag}");
        var resume = LLVM.AppendBasicBlockInContext(context, _function, $"budget{tag}");
        LLVM.BuildCondBr(_b, _generator.Likely(LLVM.BuildNot(_b, spent, "")), resume, fault);
        LLVM.PositionBuilderAtEnd(_b, fault);
        LLVM.BuildStore(_b, _t.I32(AotCheckedAbi.FaultBudgetExhausted), StateField(AotCheckedAbi.FaultKind));
        EmitFaultExit(pc);
        LLVM.PositionBuilderAtEnd(_b, resume);
        LLVM.BuildStore(_b, LLVM.BuildSub(_b, left, _t.I64(1), ""), _budget);
    }

    /// <summary>
    /// Where a backward jump to <paramref name="target"/> goes in code that counts: one block per loop
    /// head, shared by every jump back to it, that spends a unit and goes on there. The paths of a loop
    /// body thus merge before the count, so LLVM can still turn a branch inside the body into a select;
    /// a phi names the jump that was taken, for the fault report.
    /// </summary>
    private LLVMBasicBlockRef BackEdgeTo(int target, int pc)
    {
        if (StripBackEdgeTo(target) is { } strip)
        {
            return strip;
        }
        var from = LLVM.GetInsertBlock(_b);
        // Jumps to a strip loop's head from its body and from elsewhere go on to different blocks (see RouteStripLoopEdges).
        var key = (target, IsRoutedToCheckedLatch(target));
        if (!_backEdges.TryGetValue(key, out var edge))
        {
            var block = LLVM.AppendBasicBlockInContext(_generator.Context, _function, $"back{target}");
            LLVM.PositionBuilderAtEnd(_b, block);
            var source = LLVM.BuildPhi(_b, _t.Int32, "back.pc");
            SpendBudget(source, target);
            LLVM.BuildBr(_b, _blocks[target]);
            LLVM.PositionBuilderAtEnd(_b, from);
            edge = (block, source);
            _backEdges[key] = edge;
        }
        LLVM.AddIncoming(edge.Source, [_t.I32(pc)], [from]);
        return edge.Block;
    }

    /// <summary>Returns <paramref name="value"/>, leaving the budget in the run state for the caller.</summary>
    private void Return(LLVMValueRef value)
    {
        StoreBudget();
        LLVM.BuildRet(_b, value);
    }

    /// <summary>Marks the run faulted at <paramref name="pc"/> and returns; callers see the flag and return too.</summary>
    private void EmitFaultExit(int pc) => EmitFaultExit(_t.I32(pc));

    private void EmitFaultExit(LLVMValueRef pc)
    {
        StoreBudget();
        LLVM.BuildStore(_b, pc, StateField(AotCheckedAbi.FaultInstruction));
        LLVM.BuildStore(_b, _t.I32(AotCheckedAbi.Faulted), _stopFlag);
        LLVM.BuildRet(_b, _t.I64(0));
    }

    /// <summary>Emits the instruction at <paramref name="pc"/> and returns the last slot it used.</summary>
    private int EmitInstruction(int pc)
    {
        var insn = Code[pc];
        switch (insn.Class)
        {
            case InstructionClass.Alu:
            case InstructionClass.Alu64:
                EmitAlu(insn, pc);
                return pc;
            case InstructionClass.Jmp:
            case InstructionClass.Jmp32:
                EmitJump(insn, pc);
                return pc;
            case InstructionClass.Ldx:
                EmitLoad(insn, pc);
                return pc;
            case InstructionClass.St:
            case InstructionClass.Stx:
                EmitStore(insn, pc);
                return pc;
            case InstructionClass.Ld when insn.IsLoadImm64:
                EmitLoadImm64(insn, Code[pc + 1], pc);
                return pc + 1;
            case InstructionClass.Ld when ProgramValidator.IsLegacyPacketLoad(insn):
                EmitLegacyPacketLoad(insn, pc);
                return pc;
            default:
                throw Unsupported(insn, pc);
        }
    }

    private BpfException Unsupported(Instruction insn, int pc) =>
        _program.Fail(DiagnosticCodes.IrUnsupportedInstruction, $"unsupported instruction opcode 0x{insn.Opcode:x2} {insn}", pc);

    // Registers.
    private LLVMValueRef Get(int register) => LLVM.BuildLoad2(_b, _t.Int64, _registers[register], "");

    private void Set(int register, LLVMValueRef value) => LLVM.BuildStore(_b, value, _registers[register]);

    private void CheckRegister(int register, Instruction insn, int pc, bool writes = false)
    {
        if (register > FramePointer || (writes && register == FramePointer))
        {
            throw _program.Fail(DiagnosticCodes.IrUnsupportedInstruction,
                writes && register == FramePointer ? "r10 is read-only" : $"register r{register} does not exist", pc);
        }
        _ = insn;
    }

    // Arithmetic.
    private void EmitAlu(Instruction insn, int pc)
    {
        var wide = insn.Class == InstructionClass.Alu64;
        var type = wide ? _t.Int64 : _t.Int32;
        CheckRegister(insn.Dst, insn, pc, writes: true);
        var fromRegister = insn.Source == OperandSource.Register;
        if (fromRegister)
        {
            CheckRegister(insn.Src, insn, pc);
        }

        if (insn.AluOperation == AluOperation.End)
        {
            EmitEndian(insn, pc);
            return;
        }

        LLVMValueRef Narrow(LLVMValueRef value) => wide ? value : LLVM.BuildTrunc(_b, value, _t.Int32, "");

        var dst = Narrow(Get(insn.Dst));
        var src = fromRegister
            ? Narrow(Get(insn.Src))
            : wide ? _t.I64(insn.Imm) : _t.I32(insn.Imm);
        var bits = wide ? 64 : 32;
        LLVMValueRef result;
        switch (insn.AluOperation)
        {
            case AluOperation.Add:
                result = LLVM.BuildAdd(_b, dst, src, "");
                break;
            case AluOperation.Sub when fromRegister && IsRemainderIdiom(pc, out var remainder):
                result = EmitDivision(remainder, pc, type, dst, Narrow(Get(remainder.Src)));
                break;
            case AluOperation.Sub:
                result = LLVM.BuildSub(_b, dst, src, "");
                break;
            case AluOperation.Mul:
                result = LLVM.BuildMul(_b, dst, src, "");
                break;
            case AluOperation.Div:
            case AluOperation.Mod:
                result = EmitDivision(insn, pc, type, dst, src);
                break;
            case AluOperation.Or:
                result = LLVM.BuildOr(_b, dst, src, "");
                break;
            case AluOperation.And:
                result = LLVM.BuildAnd(_b, dst, src, "");
                break;
            case AluOperation.Xor:
                result = LLVM.BuildXor(_b, dst, src, "");
                break;
            case AluOperation.Lsh:
                result = LLVM.BuildShl(_b, dst, ShiftAmount(type, src, bits), "");
                break;
            case AluOperation.Rsh:
                result = LLVM.BuildLShr(_b, dst, ShiftAmount(type, src, bits), "");
                break;
            case AluOperation.Arsh:
                result = LLVM.BuildAShr(_b, dst, ShiftAmount(type, src, bits), "");
                break;
            case AluOperation.Neg:
                result = LLVM.BuildSub(_b, LLVM.ConstInt(type, 0, 0), dst, "");
                break;
            case AluOperation.Mov:
                result = EmitMove(insn, pc, type, src, fromRegister, bits);
                break;
            default:
                throw Unsupported(insn, pc);
        }
        Set(insn.Dst, wide ? result : LLVM.BuildZExt(_b, result, _t.Int64, ""));
    }

    private LLVMValueRef ShiftAmount(LLVMTypeRef type, LLVMValueRef amount, int bits) =>
        LLVM.BuildAnd(_b, amount, LLVM.ConstInt(type, (ulong)(bits - 1), 0), "");

    private LLVMValueRef EmitMove(Instruction insn, int pc, LLVMTypeRef type, LLVMValueRef src, bool fromRegister, int bits)
    {
        // movsx: offset 8/16/32 sign-extends the low bits of src (ALU64), 8/16 for ALU32.
        switch (insn.Offset)
        {
            case 0:
                return src;
            case 8:
            case 16:
            case 32 when bits == 64:
                if (!fromRegister)
                {
                    throw Unsupported(insn, pc);
                }
                var narrow = LLVM.BuildTrunc(_b, src, _t.OfBytes(insn.Offset / 8), "");
                return LLVM.BuildSExt(_b, narrow, type, "");
            default:
                throw Unsupported(insn, pc);
        }
    }

    private LLVMValueRef EmitDivision(Instruction insn, int pc, LLVMTypeRef type, LLVMValueRef dividend, LLVMValueRef divisor)
    {
        var signed = insn.Offset switch
        {
            0 => false,
            1 => true,
            _ => throw Unsupported(insn, pc),
        };
        var zero = LLVM.ConstInt(type, 0, 0);
        var one = LLVM.ConstInt(type, 1, 0);
        var divisorIsZero = LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntEQ, divisor, zero, "");
        var isDivision = insn.AluOperation == AluOperation.Div;
        if (!signed)
        {
            // x / 0 = 0 and x % 0 = x; divide by 1 instead so LLVM never sees a zero divisor.
            var safe = LLVM.BuildSelect(_b, divisorIsZero, one, divisor, "");
            var quotientOrRemainder = isDivision
                ? LLVM.BuildUDiv(_b, dividend, safe, "")
                : LLVM.BuildURem(_b, dividend, safe, "");
            return LLVM.BuildSelect(_b, divisorIsZero, isDivision ? zero : dividend, quotientOrRemainder, "");
        }
        // Signed: -1 becomes 1 as well. x / 1 = x gives INT_MIN / -1 = INT_MIN (what wrapping negation
        // gives), and x % 1 = 0 is right for every x % -1; other quotients by -1 are fixed by negating.
        var minusOne = LLVM.ConstInt(type, ulong.MaxValue, 1);
        var divisorIsMinusOne = LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntEQ, divisor, minusOne, "");
        var unsafeDivisor = LLVM.BuildOr(_b, divisorIsZero, divisorIsMinusOne, "");
        var safeDivisor = LLVM.BuildSelect(_b, unsafeDivisor, one, divisor, "");
        if (isDivision)
        {
            var quotient = LLVM.BuildSDiv(_b, dividend, safeDivisor, "");
            var negated = LLVM.BuildSub(_b, zero, dividend, "");
            var byMinusOne = LLVM.BuildSelect(_b, divisorIsMinusOne, negated, quotient, "");
            return LLVM.BuildSelect(_b, divisorIsZero, zero, byMinusOne, "");
        }
        var remainder = LLVM.BuildSRem(_b, dividend, safeDivisor, "");
        return LLVM.BuildSelect(_b, divisorIsZero, dividend, remainder, "");
    }

    private void EmitEndian(Instruction insn, int pc)
    {
        var bits = insn.Imm;
        if (bits is not (16 or 32 or 64))
        {
            throw Unsupported(insn, pc);
        }
        var value = Get(insn.Dst);
        // ALU class: source bit 0 = to little-endian (a no-op on the little-endian targets we emit for,
        // apart from truncation), 1 = to big-endian. ALU64 class: unconditional byte swap (bswap).
        var swap = insn.Class == InstructionClass.Alu64 || insn.Source == OperandSource.Register;
        LLVMValueRef result;
        if (!swap)
        {
            result = bits == 64 ? value : LLVM.BuildAnd(_b, value, _t.I64((long)((1UL << bits) - 1)), "");
        }
        else
        {
            var narrow = bits == 64 ? value : LLVM.BuildTrunc(_b, value, _t.OfBytes(bits / 8), "");
            var (type, function) = _generator.ByteSwap(bits);
            var swapped = LLVM.BuildCall2(_b, type, function, [narrow], "");
            result = bits == 64 ? swapped : LLVM.BuildZExt(_b, swapped, _t.Int64, "");
        }
        Set(insn.Dst, result);
    }

    // Control flow.
    private void EmitJump(Instruction insn, int pc)
    {
        var narrow = insn.Class == InstructionClass.Jmp32;
        switch (insn.JumpOperation)
        {
            case JumpOperation.Ja when insn.Source == OperandSource.Immediate:
                {
                    var target = (int)ProgramLayout.BranchTarget(insn, pc);
                    LLVM.BuildBr(_b, _program.CountsBudget && target <= pc ? BackEdgeTo(target, pc) : _blocks[target]);
                    _terminated = true;
                    return;
                }
            case JumpOperation.Exit when !narrow && insn.Source == OperandSource.Immediate:
                Return(Get(0));
                _terminated = true;
                return;
            case JumpOperation.Call when !narrow:
                EmitCall(insn, pc);
                return;
            case JumpOperation.Ja:
            case JumpOperation.Exit:
            case JumpOperation.Call:
                throw Unsupported(insn, pc);
            case JumpOperation.Jeq or JumpOperation.Jgt or JumpOperation.Jge or JumpOperation.Jset or JumpOperation.Jne
                or JumpOperation.Jsgt or JumpOperation.Jsge or JumpOperation.Jlt or JumpOperation.Jle or JumpOperation.Jslt or JumpOperation.Jsle:
                break;
            default:
                throw Unsupported(insn, pc);
        }

        CheckRegister(insn.Dst, insn, pc);
        if (TryEmitSwitch(pc))
        {
            return;
        }
        var type = narrow ? _t.Int32 : _t.Int64;
        LLVMValueRef Operand(int register)
        {
            var value = Get(register);
            return narrow ? LLVM.BuildTrunc(_b, value, _t.Int32, "") : value;
        }
        var left = Operand(insn.Dst);
        LLVMValueRef right;
        if (insn.Source == OperandSource.Register)
        {
            CheckRegister(insn.Src, insn, pc);
            right = Operand(insn.Src);
        }
        else
        {
            right = narrow ? _t.I32(insn.Imm) : _t.I64(insn.Imm);
        }
        LLVMValueRef condition;
        if (insn.JumpOperation == JumpOperation.Jset)
        {
            var both = LLVM.BuildAnd(_b, left, right, "");
            condition = LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntNE, both, LLVM.ConstInt(type, 0, 0), "");
        }
        else
        {
            var predicate = insn.JumpOperation switch
            {
                JumpOperation.Jeq => LLVMIntPredicate.LLVMIntEQ,
                JumpOperation.Jne => LLVMIntPredicate.LLVMIntNE,
                JumpOperation.Jgt => LLVMIntPredicate.LLVMIntUGT,
                JumpOperation.Jge => LLVMIntPredicate.LLVMIntUGE,
                JumpOperation.Jlt => LLVMIntPredicate.LLVMIntULT,
                JumpOperation.Jle => LLVMIntPredicate.LLVMIntULE,
                JumpOperation.Jsgt => LLVMIntPredicate.LLVMIntSGT,
                JumpOperation.Jsge => LLVMIntPredicate.LLVMIntSGE,
                JumpOperation.Jslt => LLVMIntPredicate.LLVMIntSLT,
                JumpOperation.Jsle => LLVMIntPredicate.LLVMIntSLE,
                _ => throw Unsupported(insn, pc),
            };
            condition = LLVM.BuildICmp(_b, predicate, left, right, "");
        }
        var taken = (int)ProgramLayout.BranchTarget(insn, pc);
        // A backward branch closes a loop: code that counts pays for it when taken.
        var takenBlock = _program.CountsBudget && taken <= pc ? BackEdgeTo(taken, pc) : _blocks[taken];
        LLVM.BuildCondBr(_b, condition, takenBlock, _blocks[pc + 1]);
        _terminated = true;
    }

    private void EmitCall(Instruction insn, int pc)
    {
        if (insn.Opcode == Opcodes.CallRegister)
        {
            EmitCallById(insn, pc);
            return;
        }
        switch ((CallSource)insn.Src)
        {
            case CallSource.Helper:
                EmitHelperCall(insn, pc);
                return;
            case CallSource.Local:
                EmitLocalCall(insn, pc);
                return;
            default:
                throw _program.Fail(DiagnosticCodes.IrUnsupportedInstruction,
                    $"calls with src {insn.Src} (kernel functions) are not supported", pc);
        }
    }

    private LLVMValueRef[] Arguments() => [Get(1), Get(2), Get(3), Get(4), Get(5)];

    private void EmitHelperCall(Instruction insn, int pc)
    {
        if (!_generator.Helpers.TryGet(insn.Imm, out var helper))
        {
            throw _program.Fail(DiagnosticCodes.IrUnknownHelper,
                $"helper {insn.Imm} is not in the helper set '{_generator.Helpers.Name}'", pc);
        }
        _program.HelpersUsed.Add(helper.Id);
        if (TryEmitInlineLookup(helper, pc))
        {
            return;
        }
        PublishLiveFrames();
        var result = LLVM.BuildCall2(_b, _t.Helper, _generator.HelperDeclaration(helper.Id), Arguments(), "");
        ReloadBudget();
        Set(0, result);
        if (_program.StopHelperIds.Contains(helper.Id))
        {
            EmitStopWhen(LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntEQ, result, _t.I64(0), ""), pc);
        }
    }

    /// <summary>
    /// Before a helper call: this function's frame is the lowest live one, so the run state's stack
    /// bottom becomes its base. Helpers then see only live frames, not the stale bytes that returned
    /// callees (or, below the deepest frame used, the native stack) left below it in the frame block.
    /// One store of a value computed once per function.
    /// </summary>
    private void PublishLiveFrames()
    {
        if (_program.RecordsFrames)
        {
            LLVM.BuildStore(_b, _frameBase, StateField(AotCheckedAbi.StackBottom));
        }
        // Callbacks the helper runs spend from the same budget.
        StoreBudget();
    }

    private void EmitCallById(Instruction insn, int pc)
    {
        // RFC 9669 puts callx's register in dst; older encodings used imm, which is accepted when dst is 0.
        int register = insn.Dst == 0 && insn.Imm is > 0 and <= FramePointer ? insn.Imm : insn.Dst;
        CheckRegister(register, insn, pc);
        _program.UsesHelperById = true;
        var id = Get(register);
        if (_program.CheckMemory)
        {
            // Checked code refuses an id the table lacks instead of calling the dispatcher with it.
            var context = _generator.Context;
            var unknown = LLVM.AppendBasicBlockInContext(context, _function, $"nohelper{pc}");
            var known = LLVM.AppendBasicBlockInContext(context, _function, $"helper{pc}");
            var ids = _generator.Helpers.Select(h => h.Id).ToList();
            var dispatch = LLVM.BuildSwitch(_b, id, unknown, (uint)ids.Count);
            foreach (var helperId in ids)
            {
                LLVM.AddCase(dispatch, _t.I64(helperId), known);
            }
            LLVM.PositionBuilderAtEnd(_b, unknown);
            LLVM.BuildStore(_b, id, StateField(AotCheckedAbi.FaultAddress));
            LLVM.BuildStore(_b, _t.I32(AotCheckedAbi.FaultUnknownHelper), StateField(AotCheckedAbi.FaultKind));
            EmitFaultExit(pc);
            LLVM.PositionBuilderAtEnd(_b, known);
        }
        LLVMValueRef[] arguments = [id, Get(1), Get(2), Get(3), Get(4), Get(5)];
        PublishLiveFrames();
        var result = LLVM.BuildCall2(_b, _t.HelperById, _generator.HelperByIdDeclaration(), arguments, "");
        ReloadBudget();
        Set(0, result);
        if (_program.StopHelperIds.Count > 0)
        {
            // Which helper runs is known only now: stop when it is one that stops on zero and returned 0.
            var isStopper = LLVM.ConstInt(_t.Int1, 0, 0);
            foreach (var stopId in _program.StopHelperIds)
            {
                var match = LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntEQ, id, _t.I64(stopId), "");
                isStopper = LLVM.BuildOr(_b, isStopper, match, "");
            }
            var isZero = LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntEQ, result, _t.I64(0), "");
            EmitStopWhen(LLVM.BuildAnd(_b, isStopper, isZero, ""), pc);
        }
    }

    private void EmitLocalCall(Instruction insn, int pc)
    {
        var target = pc + insn.Imm + 1;
        var callee = _program.FunctionAt(target);
        SpendBudget(pc);
        var arguments = new List<LLVMValueRef>(Arguments()) { _stopFlag, _frameBase };
        StoreBudget();
        var result = LLVM.BuildCall2(_b, _program.SubprogramType, callee, arguments.ToArray(), "");
        ReloadBudget();
        Set(0, result);
        if (_program.NeedsStopFlag)
        {
            var flag = LLVM.BuildLoad2(_b, _t.Int32, _stopFlag, "");
            EmitStopWhen(LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntNE, flag, _t.I32(AotCheckedAbi.Running), ""), pc, keepFlag: true);
        }
    }

    /// <summary>
    /// Ends the program with r0 = 0 when <paramref name="condition"/> holds: the entry returns 0 at
    /// once, a subprogram raises the stop flag and returns so that each caller returns in turn.
    /// </summary>
    private void EmitStopWhen(LLVMValueRef condition, int pc, bool keepFlag = false)
    {
        var context = _generator.Context;
        var stop = LLVM.AppendBasicBlockInContext(context, _function, $"stop{pc}");
        var resume = LLVM.AppendBasicBlockInContext(context, _function, $"resume{pc}");
        LLVM.BuildCondBr(_b, condition, stop, resume);
        LLVM.PositionBuilderAtEnd(_b, stop);
        if (!keepFlag && !IsEntryFunction && _program.NeedsStopFlag)
        {
            LLVM.BuildStore(_b, _t.I32(AotCheckedAbi.Stopped), _stopFlag);
        }
        Return(_t.I64(0));
        LLVM.PositionBuilderAtEnd(_b, resume);
    }

    // Memory.
    private LLVMValueRef Address(int register, short offset, int size, bool write, int pc)
    {
        if (register == FramePointer && offset >= -_program.StackSize && offset + size <= 0)
        {
            // r10 is read-only, so r10 + offset inside the frame is known here: address the frame
            // allocation directly, which lets LLVM keep stack slots in registers when the frame's
            // address never escapes, and needs no run-time check.
            if (!_frame.IsNull)
            {
                return LLVM.BuildGEP2(_b, _t.Int8, _frame, [_t.I64(_frameBytes + offset)], "");
            }
            var slot = LLVM.BuildAdd(_b, Get(FramePointer), _t.I64(offset), "");
            return LLVM.BuildIntToPtr(_b, slot, _t.Pointer, "");
        }
        var address = LLVM.BuildAdd(_b, Get(register), _t.I64(offset), "");
        if (!IsCoveredByStripGuard(pc))
        {
            EmitAccessCheck(address, size, write, pc, register);
        }
        return LLVM.BuildIntToPtr(_b, address, _t.Pointer, "");
    }

    private void EmitLoad(Instruction insn, int pc)
    {
        CheckRegister(insn.Dst, insn, pc, writes: true);
        CheckRegister(insn.Src, insn, pc);
        var signExtend = insn.MemoryMode switch
        {
            MemoryMode.Mem => false,
            MemoryMode.MemSx when insn.MemorySize != MemorySize.DoubleWord => true,
            _ => throw Unsupported(insn, pc),
        };
        var type = _t.OfBytes(insn.MemorySize.ByteCount());
        var load = LLVM.BuildLoad2(_b, type, Address(insn.Src, insn.Offset, insn.MemorySize.ByteCount(), write: false, pc), "");
        LLVM.SetAlignment(load, 1);
        var value = insn.MemorySize == MemorySize.DoubleWord
            ? load
            : signExtend ? LLVM.BuildSExt(_b, load, _t.Int64, "") : LLVM.BuildZExt(_b, load, _t.Int64, "");
        Set(insn.Dst, value);
    }

    private void EmitStore(Instruction insn, int pc)
    {
        CheckRegister(insn.Dst, insn, pc);
        var bytes = insn.MemorySize.ByteCount();
        var type = _t.OfBytes(bytes);
        if (insn.Class == InstructionClass.Stx)
        {
            CheckRegister(insn.Src, insn, pc);
        }
        if (insn.MemoryMode == MemoryMode.Atomic && insn.Class == InstructionClass.Stx)
        {
            EmitAtomic(insn, pc, type, bytes);
            return;
        }
        if (insn.MemoryMode != MemoryMode.Mem)
        {
            throw Unsupported(insn, pc);
        }
        var value = insn.Class == InstructionClass.Stx ? Get(insn.Src) : _t.I64(insn.Imm);
        if (bytes != 8)
        {
            value = LLVM.BuildTrunc(_b, value, type, "");
        }
        var store = LLVM.BuildStore(_b, value, Address(insn.Dst, insn.Offset, bytes, write: true, pc));
        LLVM.SetAlignment(store, 1);
    }

    private void EmitAtomic(Instruction insn, int pc, LLVMTypeRef type, int bytes)
    {
        if (bytes is not (4 or 8))
        {
            throw Unsupported(insn, pc);
        }
        const LLVMAtomicOrdering order = LLVMAtomicOrdering.LLVMAtomicOrderingSequentiallyConsistent;
        var address = Address(insn.Dst, insn.Offset, bytes, write: true, pc);
        LLVMValueRef Narrow(LLVMValueRef value) => bytes == 8 ? value : LLVM.BuildTrunc(_b, value, type, "");
        LLVMValueRef Widen(LLVMValueRef value) => bytes == 8 ? value : LLVM.BuildZExt(_b, value, _t.Int64, "");

        if (insn.AtomicOperation == AtomicOperation.CmpXchg)
        {
            var exchange = LLVM.BuildAtomicCmpXchg(_b, address, Narrow(Get(0)), Narrow(Get(insn.Src)), order, order, 0);
            Set(0, Widen(LLVM.BuildExtractValue(_b, exchange, 0, "")));
            return;
        }
        var operation = insn.AtomicOperation switch
        {
            AtomicOperation.Add or AtomicOperation.FetchAdd => LLVMAtomicRMWBinOp.LLVMAtomicRMWBinOpAdd,
            AtomicOperation.Or or AtomicOperation.FetchOr => LLVMAtomicRMWBinOp.LLVMAtomicRMWBinOpOr,
            AtomicOperation.And or AtomicOperation.FetchAnd => LLVMAtomicRMWBinOp.LLVMAtomicRMWBinOpAnd,
            AtomicOperation.Xor or AtomicOperation.FetchXor => LLVMAtomicRMWBinOp.LLVMAtomicRMWBinOpXor,
            AtomicOperation.Xchg => LLVMAtomicRMWBinOp.LLVMAtomicRMWBinOpXchg,
            _ => throw Unsupported(insn, pc),
        };
        var old = LLVM.BuildAtomicRMW(_b, operation, address, Narrow(Get(insn.Src)), order, 0);
        if ((insn.Imm & (int)AtomicOperation.Fetch) != 0)
        {
            Set(insn.Src, Widen(old));
        }
    }

    private void EmitLoadImm64(Instruction insn, Instruction next, int pc)
    {
        CheckRegister(insn.Dst, insn, pc, writes: true);
        LLVMValueRef value;
        switch ((LoadImm64Source)insn.Src)
        {
            case LoadImm64Source.Immediate:
                value = _t.I64(insn.Imm64With(next));
                break;
            case LoadImm64Source.MapByFd:
            case LoadImm64Source.MapByIndex:
                value = LLVM.BuildPtrToInt(_b, _generator.DataSymbol(AotMetadata.MapHandleSymbol(MapIndex(insn, pc))), _t.Int64, "");
                break;
            case LoadImm64Source.MapValueByFd:
            case LoadImm64Source.MapValueByIndex:
                var valueMap = MapIndex(insn, pc);
                _program.MapValuesUsed.Add(valueMap);
                var valueBase = LLVM.BuildPtrToInt(_b, _generator.DataSymbol(AotMetadata.MapValueSymbol(valueMap)), _t.Int64, "");
                value = LLVM.BuildAdd(_b, valueBase, _t.I64((uint)next.Imm), "");
                break;
            case LoadImm64Source.CodeAddress:
                value = LLVM.BuildPtrToInt(_b, _program.CallbackAt(pc + insn.Imm + 1), _t.Int64, "");
                break;
            default:
                throw _program.Fail(DiagnosticCodes.IrUnsupportedInstruction,
                    $"ld_imm64 with src {insn.Src} (variable address) is not supported; relocate the program so that it refers to maps", pc);
        }
        Set(insn.Dst, value);
    }

    private int MapIndex(Instruction insn, int pc)
    {
        if (insn.Imm < 0 || insn.Imm >= _generator.MapCount)
        {
            throw _program.Fail(DiagnosticCodes.IrUnknownMap,
                $"ld_imm64 refers to map {insn.Imm}, but the program has {_generator.MapCount} map(s)", pc);
        }
        _program.MapsUsed.Add(insn.Imm);
        return insn.Imm;
    }
}
