using Bpftime.Diagnostics;
using Bpftime.Engines.Checked;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;

namespace Bpftime.Engines.X64;

/// <summary>
/// Translates eBPF straight to x86-64, one instruction at a time, with no IR.
///
/// Register mapping (System V): r0 rax, r1 rdi, r2 rsi, r3 rdx, r4 r9, r5 r8 (so r1-r3 and r5 already
/// sit in the argument registers of a helper call and only r4 moves to rcx), r6-r9 rbx, r13, r14,
/// r15 (callee-saved, so they survive helper calls for free), r10 rbp. r12 holds the per-run
/// <see cref="RunState"/>; rcx, r10 and r11 are scratch.
///
/// Frame: the prologue saves the callee-saved registers and reserves one block for
/// <see cref="MaxCallDepth"/> + 1 eBPF frames; rbp starts at the top. A local call pushes r6-r9 and
/// rbp, moves rbp one frame down and issues a native call; exit returns from a local call when the
/// depth is not zero, else leaves through the epilogue, which reloads rsp from the run state so that
/// a fault or a stopping helper can leave from any depth.
///
/// Tail calls: a tail-call helper (Linux id 12) cannot jump itself; it writes the body entry of the
/// target program (<see cref="CompiledProgram.BodyEntryOffset"/> of another executable of this engine,
/// which shares this frame layout) into <see cref="RunState.TailCallTarget"/> and counts in
/// <see cref="RunState.TailCallCount"/>. After every call of helper 12 the code checks that field and,
/// when it is set, clears it, unwinds to the outermost frame, reloads r1/r2 and jumps to the target.
/// The helper (<see cref="Helpers.TailCallHelpers"/>) finds the target in a PROG_ARRAY map
/// (<see cref="Maps.ProgramArrayMap"/>) and arms it through <see cref="X64JitExecutable.ArmTailCall"/>.
/// </summary>
internal sealed partial class X64Compiler
{
    /// <summary>eBPF frames per run, the outermost included (as the interpreter allows).</summary>
    public const int MaxFrames = 8;

    /// <summary>Local calls may nest this deep; the next one faults.</summary>
    public const int MaxCallDepth = MaxFrames - 1;

    /// <summary>The largest eBPF frame, as on the interpreter (all frames live on the native stack).</summary>
    public const int MaxStackSize = 4096;

    private const X64Register State = X64Register.R12;
    private const X64Register Scratch = X64Register.R11;
    private const X64Register Scratch2 = X64Register.R10;
    private const X64Register CountRegister = X64Register.Rcx;
    /// <summary>
    /// Checked code keeps the negated context start here at every instruction boundary, so that the
    /// inline check is <c>lea r10, [base + rcx + off]</c> and one compare (see <see cref="Address"/>).
    /// Whatever borrows rcx (shift counts, divides, helper arguments, atomics, inline lookups) puts it
    /// back with <see cref="LoadContextRegister"/>.
    /// </summary>
    private const X64Register ContextRegister = X64Register.Rcx;
    /// <summary>
    /// Loops whose back-edge is fewer instructions after their head than this get their head aligned
    /// (<see cref="AlignLoopHead"/>): their code can fit in a 64-byte line. Larger loops span lines
    /// whatever their start, and moving them measured both ways: aligning a head of the benchmark's
    /// switch kernel whose back-edge is 166 instructions on took its checked code from 1.5x native
    /// to 8.7x.
    /// </summary>
    private const int SmallLoop = 16;

    /// <summary>Code that counts keeps the run's budget in xmm15's low quadword while it runs (see SpendBudget).</summary>
    private const int BudgetXmm = 15;
    /// <summary>Every bit set: paddq with it takes one unit from the budget.</summary>
    private const int MinusOneXmm = 14;

    private static readonly X64Register[] RegisterMap =
    [
        X64Register.Rax, X64Register.Rdi, X64Register.Rsi, X64Register.Rdx, X64Register.R9, X64Register.R8,
        X64Register.Rbx, X64Register.R13, X64Register.R14, X64Register.R15, X64Register.Rbp,
    ];

    private static readonly X64Register[] CalleeSavedHost =
    [
        X64Register.Rbp, X64Register.Rbx, X64Register.R12, X64Register.R13, X64Register.R14, X64Register.R15,
    ];

    private readonly ProgramImage _image;
    private readonly Instruction[] _code;
    private readonly X64Assembler _asm;
    private readonly bool _checked;
    /// <summary>Whether back-edges, local calls and callbacks spend the budget: checked code, and verified code not proven to end.</summary>
    private readonly bool _countsBudget;
    /// <summary>Whether every frame starts zeroed: checked code, and verified code whose %s may read on past its writes.</summary>
    private readonly bool _zeroesFrames;
    private readonly long _budget;
    private readonly int _frameSize;
    private readonly int _frameBlock;
    private readonly JitBindings _bindings;
    private readonly X64Label[] _instructionLabels;
    private readonly bool[] _isSecondSlot;
    private readonly bool[] _isJumpTarget;
    /// <summary>Targets of backward jumps from fewer than <see cref="SmallLoop"/> instructions on: where a small loop's taken back-edge lands.</summary>
    private readonly bool[] _isLoopHead;
    /// <summary>Padding bytes spent on loop heads so far; kept no larger than the code before it (<see cref="AlignLoopHead"/>).</summary>
    private int _loopPadding;
    private readonly List<FaultStub> _stubs = [];
    private readonly List<SlowPath> _slowPaths = [];
    private HelperFunction?[]? _callxHelpers;
    private readonly Dictionary<int, X64Label> _checkRoutines = [];
    /// <summary>Code that counts: loop heads with exactly one backward jump, the label of the spend just above the head, and that jump.</summary>
    private readonly Dictionary<int, (X64Label Spend, int Source)> _headSpends = [];
    private readonly List<HelperFunction> _usedHelpers = [];
    private X64Label _exit;
    private X64Label _callxTable;
    private bool _hasLocalCalls;
    private bool _usesCallx;
    private bool _hasCallbacks;

    private X64Compiler(ProgramImage image, JitBindings bindings, long executionBudget)
    {
        _image = image;
        _budget = executionBudget;
        _code = image.Instructions.ToArray();
        _asm = new X64Assembler(_code.Length * 12 + 256);
        _checked = !image.Verified;
        _countsBudget = _checked || !image.TerminationProven;
        _zeroesFrames = _checked || StringReaders.CanReadStrings(_code);
        // A tail call continues in the caller's frames, so programs that share a program array share
        // one frame size: the 512 bytes a program may have at most, whatever its verified stack needs.
        _frameSize = FrameSizeFor(image.Maps.Any(m => m is Maps.ProgramArrayMap) ? Math.Max(image.StackSize, 512) : image.StackSize);
        _frameBlock = _frameSize * (MaxCallDepth + 1);
        _bindings = bindings;
        _instructionLabels = new X64Label[_code.Length];
        _isSecondSlot = new bool[_code.Length];
        _isJumpTarget = new bool[_code.Length];
        _isLoopHead = new bool[_code.Length];
    }

    /// <summary>Bytes of one eBPF frame: the program's stack size rounded up to 16 (the host's stack alignment).</summary>
    public static int FrameSizeFor(int stackSize) => Math.Max(16, (stackSize + 15) & ~15);

    /// <summary>
    /// Compiles <paramref name="image"/> against the native entries in <paramref name="bindings"/>; checked
    /// code stops after <paramref name="executionBudget"/> backward jumps, local calls and callbacks.
    /// </summary>
    public static CompiledProgram Compile(ProgramImage image, JitBindings bindings, long executionBudget = EngineOptions.DefaultExecutionBudget) =>
        new X64Compiler(image, bindings, executionBudget).Run();

    private CompiledProgram Run()
    {
        if (_code.Length == 0)
        {
            throw Fail(DiagnosticCodes.JitProgramSize, "the program has no instructions", null);
        }
        if (_image.StackSize is < 0 or > MaxStackSize)
        {
            throw Fail(DiagnosticCodes.InvalidStackSize,
                $"a stack of {_image.StackSize} bytes per frame was asked for; the jit provides 0 to {MaxStackSize}", null);
        }
        if (_code.Length > 1_000_000)
        {
            throw Fail(DiagnosticCodes.JitProgramSize, $"the program has {_code.Length} instructions; the JIT accepts at most 1,000,000", null);
        }
        Survey();
        FindLoopHeads();
        PlanSwitchTables();
        FindSmallLoopHeads();
        // A program that cannot reach exit could only loop or run off the end: refuse it now.
        ProgramValidator.EnsureExitReachable(_code, _image.Name, _image.Origin);
        _exit = _asm.CreateLabel();
        _callxTable = _asm.CreateLabel();
        for (var i = 0; i < _code.Length; i++)
        {
            _instructionLabels[i] = _asm.CreateLabel();
        }

        EmitPrologue();
        var bodyEntry = _asm.Position;
        // Also where a tail call enters, with the budget its caller left in the run state.
        LoadBudgetRegister();
        LoadContextRegister();
        for (var i = 0; i < _code.Length; i++)
        {
            if (_isSecondSlot[i])
            {
                continue;
            }
            if (!EmitHeadSpend(i) && _isLoopHead[i])
            {
                AlignLoopHead(executed: true);
            }
            _asm.Bind(_instructionLabels[i]);
            var taken = TryEmitSelect(i);
            if (taken == 0)
            {
                taken = TryFuseMove(i);
            }
            if (taken == 0 && IsZeroExtension(i))
            {
                var reg = Host(_code[i].Dst);
                _asm.Mov(X64Width.Dword, reg, reg);
                taken = 2;
            }
            if (taken > 0)
            {
                // Nothing jumps into the instructions a fused sequence took: their labels mark where it ends.
                for (var k = 1; k < taken; k++)
                {
                    _asm.Bind(_instructionLabels[i + k]);
                }
                i += taken - 1;
                continue;
            }
            EmitInstruction(i);
        }
        var bodyEnd = _asm.Position;
        var last = LastInstructionIndex();
        if (!EndsControlFlow(_code[last]))
        {
            // Only a malformed program runs past its last instruction; say so instead of running off.
            Fault(JitFault.FellOffEnd, last);
        }
        var callbackEntry = -1;
        if (_hasCallbacks)
        {
            callbackEntry = _asm.Position;
            EmitCallbackEntry();
        }
        _asm.Bind(_exit);
        EmitEpilogue();
        EmitSelectBudgetPaths();
        EmitSlowPaths();
        EmitStubs();
        EmitCheckRoutines();
        EmitSwitchTables();
        var callxTable = EmitCallxTable();
        _asm.Finish();

        // Where each instruction's code starts; the second slot of ld_imm64 shares the next one's start.
        var offsets = new int[_code.Length + 1];
        offsets[_code.Length] = bodyEnd;
        for (var i = _code.Length - 1; i >= 0; i--)
        {
            offsets[i] = _isSecondSlot[i] ? offsets[i + 1] : _asm.PositionOf(_instructionLabels[i]);
        }
        return new CompiledProgram(_asm.Code.ToArray(), 0, bodyEntry, callbackEntry, callxTable, [.. _usedHelpers], _frameSize, offsets);
    }

    private int LastInstructionIndex()
    {
        var last = _code.Length - 1;
        return _isSecondSlot[last] ? last - 1 : last;
    }

    private static bool EndsControlFlow(Instruction insn) =>
        insn.IsExit || insn.Opcode == Opcodes.Ja || insn.Opcode == Opcodes.Gotol;

    /// <summary>Structure checks the code generator relies on: registers, slot pairs, jump targets.</summary>
    private void Survey()
    {
        for (var i = 0; i < _code.Length; i++)
        {
            var insn = _code[i];
            if (insn.IsLoadImm64)
            {
                if (i + 1 >= _code.Length)
                {
                    throw Fail(DiagnosticCodes.JitUnsupportedInstruction, "ld_imm64 needs a second slot but the program ends", i);
                }
                _isSecondSlot[i + 1] = true;
                i++;
            }
        }
        for (var i = 0; i < _code.Length; i++)
        {
            if (_isSecondSlot[i])
            {
                continue;
            }
            var insn = _code[i];
            if (insn.Dst > 10 || insn.Src > 10)
            {
                throw Fail(DiagnosticCodes.JitInvalidRegister, $"register r{Math.Max(insn.Dst, insn.Src)} does not exist (r0-r10)", i);
            }
            if (insn.IsJump && insn.Opcode != Opcodes.Exit)
            {
                var op = insn.JumpOperation;
                if (insn.Opcode == Opcodes.Call && insn.Src == (byte)CallSource.Local)
                {
                    _hasLocalCalls = true;
                    CheckTarget(i, (long)i + 1 + insn.Imm, "local call");
                }
                else if (insn.Opcode == Opcodes.CallRegister)
                {
                    _usesCallx = true;
                }
                else if (op != JumpOperation.Call)
                {
                    long target = insn.Opcode == Opcodes.Gotol ? (long)i + 1 + insn.Imm : (long)i + 1 + insn.Offset;
                    CheckTarget(i, target, "jump");
                }
            }
            if (insn.IsLoadImm64 && insn.Src == (byte)LoadImm64Source.CodeAddress)
            {
                CheckTarget(i, (long)i + 1 + insn.Imm, "code address");
                // A callback's exit returns to the callback entry, as a local call's does.
                _hasCallbacks = true;
                _hasLocalCalls = true;
            }
        }
    }

    private void CheckTarget(int index, long target, string what)
    {
        if (target >= 0 && target < _code.Length)
        {
            _isJumpTarget[target] = true;
        }
        if (target < 0 || target >= _code.Length || _isSecondSlot[target])
        {
            throw Fail(DiagnosticCodes.JitInvalidJumpTarget,
                $"{what} to instruction {target} lands {(target < 0 || target >= _code.Length ? "outside the program" : "inside an ld_imm64")}", index);
        }
    }

    /// <summary>
    /// <c>rX &lt;&lt;= 32; rX &gt;&gt;= 32</c> at <paramref name="i"/> (how compilers zero-extend a 32-bit
    /// value), with nothing jumping between the two: one <c>mov rX32, rX32</c> does it.
    /// </summary>
    private bool IsZeroExtension(int i)
    {
        if (i + 1 >= _code.Length || _isJumpTarget[i + 1])
        {
            return false;
        }
        var first = _code[i];
        var second = _code[i + 1];
        var lsh = Opcodes.Alu(InstructionClass.Alu64, AluOperation.Lsh, OperandSource.Immediate);
        var rsh = Opcodes.Alu(InstructionClass.Alu64, AluOperation.Rsh, OperandSource.Immediate);
        if (first.Opcode != lsh || second.Opcode != rsh || first.Imm != 32 || second.Imm != 32
            || first.Offset != 0 || second.Offset != 0 || first.Dst != second.Dst || first.Dst >= 10)
        {
            return false;
        }
        return true;
    }

    /// <summary>
    /// A 64-bit copy and what compilers do with it next, in one instruction when nothing jumps in
    /// between: <c>rX = rY; rX += rZ</c> (or <c>+= imm</c>) is <c>lea rX, [rY + rZ]</c>, the address
    /// arithmetic of every indexed access; <c>rX = rY</c> followed by a zero extension of rX is
    /// <c>mov rX32, rY32</c>. Returns how many instructions it took (0: neither shape).
    /// </summary>
    private int TryFuseMove(int i)
    {
        var copy = _code[i];
        if (copy.Opcode != Opcodes.Alu(InstructionClass.Alu64, AluOperation.Mov, OperandSource.Register) || copy.Offset != 0
            || copy.Dst >= 10 || copy.Dst == copy.Src || i + 1 >= _code.Length || _isJumpTarget[i + 1])
        {
            return 0;
        }
        var dst = Host(copy.Dst);
        var src = Host(copy.Src);
        var next = _code[i + 1];
        if (next.Dst == copy.Dst && next.Offset == 0)
        {
            if (next.Opcode == Opcodes.Alu(InstructionClass.Alu64, AluOperation.Add, OperandSource.Immediate))
            {
                _asm.Lea(dst, src, next.Imm);
                return 2;
            }
            if (next.Opcode == Opcodes.Alu(InstructionClass.Alu64, AluOperation.Add, OperandSource.Register) && next.Src <= 10)
            {
                // rX += rX after the copy adds rY to itself.
                _asm.LeaIndexed(dst, src, next.Src == copy.Dst ? src : Host(next.Src), 0);
                return 2;
            }
        }
        if (IsZeroExtension(i + 1) && _code[i + 1].Dst == copy.Dst)
        {
            _asm.Mov(X64Width.Dword, dst, src);
            return 3;
        }
        return 0;
    }

    private BpfException Fail(string code, string message, int? index) =>
        BpfException.Create(code, message, file: _image.Origin, program: _image.Name, instruction: index);

    private static X64Register Host(byte bpfRegister) => RegisterMap[bpfRegister];

    // ---- prologue and epilogue ----

    private void EmitPrologue()
    {
        foreach (var reg in CalleeSavedHost)
        {
            _asm.Push(reg);
        }
        // Six pushes and the return address leave rsp 8 off a 16-byte boundary; the extra 8 restores it.
        _asm.Alu(X64AluOperation.Sub, X64Width.Qword, X64Register.Rsp, _frameBlock + 8);
        _asm.Mov(X64Width.Qword, State, X64Register.Rdx);
        _asm.Store(X64Width.Qword, State, RunState.SavedStackPointerOffset, X64Register.Rsp);
        _asm.Lea(X64Register.Rbp, X64Register.Rsp, _frameBlock);
        // Stored even when unchecked, so that a checked program can be the target of a tail call from this one.
        _asm.Store(X64Width.Qword, State, RunState.StackTopOffset, X64Register.Rbp);
        StoreLiveStackLow();
        // The run's budget, stored even when unchecked so that a checked program can be the target of
        // a tail call from this one; a tail call continues after this point and so keeps spending it.
        _asm.MovImmediate(Scratch, _budget);
        _asm.Store(X64Width.Qword, State, RunState.BudgetOffset, Scratch);
        if (_zeroesFrames)
        {
            ZeroFrame(Scratch);
        }
        // r1 (rdi) and r2 (rsi) already hold the context and its length; every other register starts
        // at 0 rather than with whatever the host left there (rdx held the run state's address).
        ZeroRegisters(X64Register.Rax, X64Register.Rdx, X64Register.R9, X64Register.R8,
            X64Register.Rbx, X64Register.R13, X64Register.R14, X64Register.R15);
    }

    /// <summary>
    /// Publishes the bottom of the innermost live frame (rbp - frame) in the run state, for the helpers
    /// about to run: frames below it are dead and may hold a returned callee's stale bytes. Two
    /// instructions through rax, which the call overwrites anyway (it holds no eBPF value here but r0,
    /// which a call clobbers).
    /// </summary>
    private void StoreLiveStackLow()
    {
        _asm.Lea(X64Register.Rax, X64Register.Rbp, -_frameSize);
        _asm.Store(X64Width.Qword, State, RunState.StackLowOffset, X64Register.Rax);
    }

    private void ZeroRegisters(params X64Register[] registers)
    {
        foreach (var reg in registers)
        {
            _asm.Alu(X64AluOperation.Xor, X64Width.Dword, reg, reg);
        }
    }

    /// <summary>
    /// Unverified code: clears the frame that rbp tops, so a read of a slot the program never wrote
    /// sees 0, not the host's stack. 16 bytes a store (SSE, encoded here: xmm0 is caller-saved and the
    /// code uses no other vector register); <paramref name="cursor"/> and xmm0 are clobbered. Verified
    /// code skips this (the verifier refuses every read of stack the program has not written, see
    /// docs/jit.md) unless a helper's %s may read on past its writes (<see cref="StringReaders"/>).
    /// </summary>
    private void ZeroFrame(X64Register cursor = Scratch)
    {
        // pxor xmm0, xmm0
        _asm.Emit(0x66);
        _asm.Emit(0x0f);
        _asm.Emit(0xef);
        _asm.Emit(0xc0);
        _asm.Lea(cursor, X64Register.Rbp, -_frameSize);
        var loop = _asm.CreateLabel();
        _asm.Bind(loop);
        // movdqu [r10 or r11], xmm0: REX.B, then ModRM mod 00, reg xmm0, rm = the register's low bits.
        _asm.Emit(0xf3);
        _asm.Emit(0x41);
        _asm.Emit(0x0f);
        _asm.Emit(0x7f);
        _asm.Emit((byte)((int)cursor & 7));
        _asm.Alu(X64AluOperation.Add, X64Width.Qword, cursor, 16);
        _asm.Alu(X64AluOperation.Cmp, X64Width.Qword, cursor, X64Register.Rbp);
        _asm.Jcc(X64Condition.NotEqual, loop);
    }

    /// <summary>
    /// Code that counts (checked, or not proven to end): takes one unit of the run's budget, leaving
    /// with a fault when none is left. The counter lives in xmm15 rather than in the run state: a
    /// loop's only carried dependency through it is then one paddq (a cycle), where a
    /// read-modify-write of memory on every back-edge costs a store-forwarding round trip; the test
    /// reads a copy, off that chain. No eBPF value lives in a vector register, so nothing else
    /// competes for it; native calls clobber it, hence <see cref="StoreBudgetRegister"/> before them
    /// and <see cref="LoadBudgetRegister"/> after.
    /// </summary>
    private void SpendBudget(int index)
    {
        _asm.MoveFromXmm(Scratch2, BudgetXmm);
        _asm.Test(X64Width.Qword, Scratch2, Scratch2);
        FaultIf(X64Condition.Equal, JitFault.BudgetExhausted, index);
        _asm.AddQuadwordsXmm(BudgetXmm, MinusOneXmm);
    }

    /// <summary>
    /// Code that counts: the instructions that only one backward jump targets. Their spend goes just
    /// above them (entered only by that jump, which then is a single jcc or jmp; the way in from above
    /// jumps over it), so the loop's taken back-edge runs no jump around the spend.
    /// </summary>
    private void FindLoopHeads()
    {
        if (!_countsBudget)
        {
            return;
        }
        var sources = new Dictionary<int, int>();
        var counts = new Dictionary<int, int>();
        for (var i = 0; i < _code.Length; i++)
        {
            if (BackwardJumpTarget(i) is var target and >= 0)
            {
                counts[target] = counts.GetValueOrDefault(target) + 1;
                sources[target] = i;
            }
        }
        foreach (var (head, count) in counts)
        {
            if (count == 1)
            {
                _headSpends[head] = (_asm.CreateLabel(), sources[head]);
            }
        }
    }

    /// <summary>
    /// Marks the targets of backward jumps from fewer than <see cref="SmallLoop"/> instructions on. The
    /// compares of a tree that becomes a jump table do not count: they are not run (the dispatch's
    /// jumps to the leaves are what runs, and a leaf the tree reaches backwards is a case, not a loop).
    /// </summary>
    private void FindSmallLoopHeads()
    {
        var inTable = new bool[_code.Length];
        foreach (var (root, table) in _tables)
        {
            inTable[root] = true;
            foreach (var interior in table.Tree.Interior)
            {
                inTable[interior] = true;
            }
        }
        for (var i = 0; i < _code.Length; i++)
        {
            if (!inTable[i] && BackwardJumpTarget(i) is var target and >= 0 && i - target < SmallLoop)
            {
                _isLoopHead[target] = true;
            }
        }
    }

    /// <summary>The target of the jump at <paramref name="i"/> when it jumps backwards (or to itself); -1 for anything else.</summary>
    private int BackwardJumpTarget(int i)
    {
        var insn = _code[i];
        if (_isSecondSlot[i] || insn.Class is not (InstructionClass.Jmp or InstructionClass.Jmp32)
            || insn.JumpOperation is JumpOperation.Call or JumpOperation.Exit)
        {
            return -1;
        }
        var target = insn.Opcode == Opcodes.Gotol ? i + 1 + insn.Imm : i + 1 + insn.Offset;
        return target <= i ? target : -1;
    }

    /// <summary>
    /// The spend above loop head <paramref name="i"/>, when it has one: jumped over from above, faulting
    /// at its back-edge's index, and starting the loop's line (<see cref="AlignLoopHead"/>). False when
    /// the head has no spend.
    /// </summary>
    private bool EmitHeadSpend(int i)
    {
        if (!_headSpends.TryGetValue(i, out var head))
        {
            return false;
        }
        // The spend is 19 bytes and the padding at most 63: a short jump reaches over both.
        _asm.Jmp(_instructionLabels[i], forceShort: true);
        if (_isLoopHead[i])
        {
            AlignLoopHead(executed: false);
        }
        _asm.Bind(head.Spend);
        SpendBudget(head.Source);
        return true;
    }

    /// <summary>
    /// Starts a loop's back-edge target on a 64-byte line (the code is copied to the start of its own
    /// mapping, so buffer offsets are line offsets): a loop body of up to a line is then fetched as
    /// one block per iteration, not two, wherever the code before it ends (the benchmark's copy loop,
    /// 8 bytes a step: 2.0x native before, 1.0x after).
    /// <paramref name="executed"/> padding is run once per entry into the loop, so it is multi-byte
    /// nops; otherwise int3. A program of many small loops cannot grow its code by more than the code
    /// itself: padding stops once it would exceed the bytes emitted before it.
    /// </summary>
    private void AlignLoopHead(bool executed)
    {
        var padding = (64 - (_asm.Position & 63)) & 63;
        if (padding == 0 || _loopPadding + padding > _asm.Position - _loopPadding)
        {
            return;
        }
        _loopPadding += padding;
        if (executed)
        {
            _asm.Nops(padding);
        }
        else
        {
            _asm.Align(64);
        }
    }

    /// <summary>
    /// The backward jump at <paramref name="i"/> to <paramref name="target"/>: when it is that head's
    /// only one, a jcc (or jmp, for a null condition) to the spend above the head, and true.
    /// </summary>
    private bool TryJumpToHeadSpend(X64Condition? condition, int target, int i)
    {
        if (!_headSpends.TryGetValue(target, out var head) || head.Source != i)
        {
            return false;
        }
        if (condition is { } taken)
        {
            _asm.Jcc(taken, head.Spend);
        }
        else
        {
            _asm.Jmp(head.Spend);
        }
        return true;
    }

    /// <summary>Code that counts: the budget register from the run state (entry, and after every native call).</summary>
    private void LoadBudgetRegister()
    {
        if (_countsBudget)
        {
            _asm.LoadXmm(BudgetXmm, State, RunState.BudgetOffset);
            _asm.SetAllOnesXmm(MinusOneXmm);
        }
    }

    /// <summary>
    /// Checked code: rcx = -<see cref="RunState.ContextStart"/> of the running state (body entry,
    /// callback entry, and after anything that used rcx). Two instructions off the hot paths.
    /// </summary>
    private void LoadContextRegister()
    {
        if (_checked)
        {
            _asm.Load(X64Width.Qword, ContextRegister, State, RunState.ContextStartOffset);
            _asm.Unary(X64UnaryOperation.Neg, X64Width.Qword, ContextRegister);
        }
    }

    /// <summary>Code that counts: the run state's budget from the register, before native code that may read it (helpers running callbacks) or a return to the caller.</summary>
    private void StoreBudgetRegister()
    {
        if (_countsBudget)
        {
            _asm.StoreXmm(State, RunState.BudgetOffset, BudgetXmm);
        }
    }

    /// <summary>
    /// <c>u64 entry(RunState* state, u64* args, void* function)</c>: runs one program-local function
    /// with r1-r5 from <c>args</c> in a fresh frame block, for callbacks (ld_imm64 src 4) that
    /// helpers invoke. Depth starts at 1 so that the function's exit returns here.
    /// </summary>
    private void EmitCallbackEntry()
    {
        foreach (var reg in CalleeSavedHost)
        {
            _asm.Push(reg);
        }
        _asm.Alu(X64AluOperation.Sub, X64Width.Qword, X64Register.Rsp, _frameBlock + 8);
        _asm.Mov(X64Width.Qword, State, X64Register.Rdi);
        _asm.Store(X64Width.Qword, State, RunState.SavedStackPointerOffset, X64Register.Rsp);
        _asm.Lea(X64Register.Rbp, X64Register.Rsp, _frameBlock);
        _asm.Store(X64Width.Qword, State, RunState.StackTopOffset, X64Register.Rbp);
        StoreLiveStackLow();
        _asm.StoreImmediate(X64Width.Dword, State, RunState.CallDepthOffset, 1);
        if (_countsBudget)
        {
            // The callback spends the budget of the run whose helper started it (one unit for the
            // invocation itself), and hands back what is left when it returns.
            var noOuter = _asm.CreateLabel();
            var ready = _asm.CreateLabel();
            _asm.Load(X64Width.Qword, Scratch, State, RunState.OuterOffset);
            _asm.Test(X64Width.Qword, Scratch, Scratch);
            _asm.Jcc(X64Condition.Equal, noOuter, forceShort: true);
            _asm.Load(X64Width.Qword, Scratch2, Scratch, RunState.BudgetOffset);
            _asm.Store(X64Width.Qword, State, RunState.BudgetOffset, Scratch2);
            _asm.Jmp(ready, forceShort: true);
            _asm.Bind(noOuter);
            // No run above (a callback called outside any run): nothing to spend.
            _asm.StoreImmediate(X64Width.Qword, State, RunState.BudgetOffset, 0);
            _asm.Bind(ready);
            LoadBudgetRegister();
            SpendBudget(0);
        }
        if (_zeroesFrames)
        {
            ZeroFrame();
        }
        // The function starts with r0 and r6-r9 at 0, as on the other engines, not with host values.
        ZeroRegisters(X64Register.Rax, X64Register.Rbx, X64Register.R13, X64Register.R14, X64Register.R15);
        _asm.Mov(X64Width.Qword, Scratch, X64Register.Rdx);
        _asm.Load(X64Width.Qword, X64Register.Rdi, X64Register.Rsi, 0);
        _asm.Load(X64Width.Qword, X64Register.Rdx, X64Register.Rsi, 16);
        _asm.Load(X64Width.Qword, X64Register.R9, X64Register.Rsi, 24);
        _asm.Load(X64Width.Qword, X64Register.R8, X64Register.Rsi, 32);
        _asm.Load(X64Width.Qword, X64Register.Rsi, X64Register.Rsi, 8);
        // As at a local call: 40 bytes and the return address keep rsp 16-byte aligned in the function.
        _asm.Alu(X64AluOperation.Sub, X64Width.Qword, X64Register.Rsp, 40);
        // The callback's own run state names the context it may use.
        LoadContextRegister();
        _asm.CallRegister(Scratch);
        StoreBudgetRegister();
        if (_countsBudget)
        {
            var noOuter = _asm.CreateLabel();
            _asm.Load(X64Width.Qword, Scratch, State, RunState.OuterOffset);
            _asm.Test(X64Width.Qword, Scratch, Scratch);
            _asm.Jcc(X64Condition.Equal, noOuter, forceShort: true);
            _asm.Load(X64Width.Qword, Scratch2, State, RunState.BudgetOffset);
            _asm.Store(X64Width.Qword, Scratch, RunState.BudgetOffset, Scratch2);
            _asm.Bind(noOuter);
        }
        _asm.Jmp(_exit);
    }

    private void EmitEpilogue()
    {
        // The run state's budget is what is left, whichever way the code leaves.
        StoreBudgetRegister();
        _asm.Load(X64Width.Qword, X64Register.Rsp, State, RunState.SavedStackPointerOffset);
        _asm.Alu(X64AluOperation.Add, X64Width.Qword, X64Register.Rsp, _frameBlock + 8);
        for (var i = CalleeSavedHost.Length - 1; i >= 0; i--)
        {
            _asm.Pop(CalleeSavedHost[i]);
        }
        _asm.Ret();
    }

    // ---- faults ----

    /// <summary>Jumps to a stub that records the fault and leaves.</summary>
    private void FaultIf(X64Condition condition, JitFault fault, int index)
    {
        var label = _asm.CreateLabel();
        _stubs.Add(new FaultStub(label, fault, index));
        _asm.Jcc(condition, label);
    }

    /// <summary>After a helper call: leave when the helper's guard recorded a failure (the fault is already set).</summary>
    private void LeaveIfHelperFailed(int index)
    {
        _asm.AluMemoryImmediate(X64AluOperation.Cmp, X64Width.Dword, State, RunState.FaultOffset, 0);
        var label = _asm.CreateLabel();
        _stubs.Add(new FaultStub(label, JitFault.HelperFailed, index, Recorded: true));
        _asm.Jcc(X64Condition.NotEqual, label);
    }

    private void Fault(JitFault fault, int index)
    {
        var label = _asm.CreateLabel();
        _stubs.Add(new FaultStub(label, fault, index));
        _asm.Jmp(label);
    }

    private void EmitStubs()
    {
        foreach (var stub in _stubs)
        {
            _asm.Bind(stub.Label);
            if (stub.Recorded)
            {
                // The fault code is already in the run state.
            }
            else if (stub.Fault == JitFault.None)
            {
                // The fault code comes from a check routine, in r10d.
                _asm.Store(X64Width.Dword, State, RunState.FaultOffset, Scratch2);
            }
            else
            {
                _asm.StoreImmediate(X64Width.Dword, State, RunState.FaultOffset, (int)stub.Fault);
            }
            _asm.StoreImmediate(X64Width.Dword, State, RunState.FaultInstructionOffset, stub.Index);
            _asm.Jmp(_exit);
        }
    }

    private readonly record struct FaultStub(X64Label Label, JitFault Fault, int Index, bool Recorded = false);

    // ---- instructions ----

    private void EmitInstruction(int i)
    {
        var insn = _code[i];
        switch (insn.Class)
        {
            case InstructionClass.Alu:
            case InstructionClass.Alu64:
                EmitAlu(insn, i);
                break;
            case InstructionClass.Jmp:
            case InstructionClass.Jmp32:
                EmitJump(insn, i);
                break;
            case InstructionClass.Ld:
                EmitLoadImm64(insn, i);
                break;
            case InstructionClass.Ldx:
                EmitLoad(insn, i);
                break;
            case InstructionClass.St:
            case InstructionClass.Stx:
                EmitStore(insn, i);
                break;
        }
    }

    private BpfException Unsupported(Instruction insn, int i, string? why = null) =>
        Fail(DiagnosticCodes.JitUnsupportedInstruction,
            $"opcode 0x{insn.Opcode:x2} (offset {insn.Offset}, imm {insn.Imm}) is not an instruction the JIT knows{(why is null ? "" : ": " + why)}", i);

    private void RequireWritableDestination(Instruction insn, int i)
    {
        if (insn.Dst == 10)
        {
            throw Fail(DiagnosticCodes.JitInvalidRegister, "r10 is the read-only frame pointer and cannot be written", i);
        }
    }

    private void EmitAlu(Instruction insn, int i)
    {
        var is64 = insn.Class == InstructionClass.Alu64;
        var width = is64 ? X64Width.Qword : X64Width.Dword;
        var dst = Host(insn.Dst);
        var src = Host(insn.Src);
        var useImmediate = insn.Source == OperandSource.Immediate;
        RequireWritableDestination(insn, i);
        var op = insn.AluOperation;
        if (op is not (AluOperation.Div or AluOperation.Mod or AluOperation.Mov) && insn.Offset != 0)
        {
            throw Unsupported(insn, i, "the offset must be 0");
        }
        switch (op)
        {
            case AluOperation.Add:
            case AluOperation.Sub:
            case AluOperation.Or:
            case AluOperation.And:
            case AluOperation.Xor:
                var x64op = BitwiseOrAdditive(op);
                if (useImmediate)
                {
                    _asm.Alu(x64op, width, dst, insn.Imm);
                }
                else if (op == AluOperation.Xor && insn.Src == insn.Dst)
                {
                    _asm.Alu(X64AluOperation.Xor, X64Width.Dword, dst, dst);
                }
                else
                {
                    _asm.Alu(x64op, width, dst, src);
                }
                break;
            case AluOperation.Mul:
                if (useImmediate)
                {
                    _asm.Imul(width, dst, dst, insn.Imm);
                }
                else
                {
                    _asm.Imul(width, dst, src);
                }
                break;
            case AluOperation.Div:
            case AluOperation.Mod:
                EmitDivide(insn, i, is64);
                break;
            case AluOperation.Lsh:
            case AluOperation.Rsh:
            case AluOperation.Arsh:
                var shift = ShiftOf(op);
                if (useImmediate)
                {
                    ShiftByConstant(shift, is64, dst, insn.Imm);
                }
                else
                {
                    if (_checked)
                    {
                        // rcx holds the context register: keep it in r10 (a move the core renames away).
                        _asm.Mov(X64Width.Qword, Scratch2, ContextRegister);
                    }
                    _asm.Mov(X64Width.Dword, CountRegister, src);
                    _asm.ShiftByCl(shift, width, dst);
                    if (_checked)
                    {
                        _asm.Mov(X64Width.Qword, ContextRegister, Scratch2);
                    }
                }
                break;
            case AluOperation.Neg:
                _asm.Unary(X64UnaryOperation.Neg, width, dst);
                break;
            case AluOperation.Mov:
                EmitMove(insn, i, is64, dst, src, useImmediate);
                break;
            case AluOperation.End:
                EmitByteSwap(insn, i, is64, dst);
                break;
            default:
                throw Unsupported(insn, i);
        }
    }

    private void EmitMove(Instruction insn, int i, bool is64, X64Register dst, X64Register src, bool useImmediate)
    {
        if (useImmediate)
        {
            if (insn.Offset != 0)
            {
                throw Unsupported(insn, i, "movsx takes a register");
            }
            _asm.MovImmediate(dst, is64 ? insn.Imm : (uint)insn.Imm);
            return;
        }
        switch (insn.Offset)
        {
            case 0:
                if (is64)
                {
                    if (dst != src)
                    {
                        _asm.Mov(X64Width.Qword, dst, src);
                    }
                }
                else
                {
                    _asm.Mov(X64Width.Dword, dst, src);
                }
                break;
            case 8:
                _asm.MovSignExtend(is64 ? X64Width.Qword : X64Width.Dword, dst, src, X64Width.Byte);
                break;
            case 16:
                _asm.MovSignExtend(is64 ? X64Width.Qword : X64Width.Dword, dst, src, X64Width.Word);
                break;
            case 32 when is64:
                _asm.MovSignExtend(X64Width.Qword, dst, src, X64Width.Dword);
                break;
            default:
                throw Unsupported(insn, i, "movsx takes an offset of 8, 16 or 32 (32 only in ALU64)");
        }
    }

    private void EmitByteSwap(Instruction insn, int i, bool is64, X64Register dst)
    {
        // ALU with the source bit clear converts to little endian (a truncation on this host);
        // ALU with it set, and ALU64 (bswap), swap unconditionally.
        var swap = is64 || insn.Source == OperandSource.Register;
        switch (insn.Imm)
        {
            case 16:
                if (swap)
                {
                    _asm.Shift(X64ShiftOperation.Rol, X64Width.Word, dst, 8);
                }
                _asm.MovZeroExtend16(dst, dst);
                break;
            case 32:
                if (swap)
                {
                    _asm.Bswap(X64Width.Dword, dst);
                }
                else
                {
                    _asm.Mov(X64Width.Dword, dst, dst);
                }
                break;
            case 64:
                if (swap)
                {
                    _asm.Bswap(X64Width.Qword, dst);
                }
                break;
            default:
                throw Unsupported(insn, i, "byte swaps take 16, 32 or 64");
        }
    }

    /// <summary>
    /// div/mod/sdiv/smod. Division by zero gives 0 and modulo by zero leaves dst (zero-extended in
    /// ALU32); a signed division by -1 never reaches idiv, so INT_MIN / -1 cannot raise #DE.
    /// rax and rdx (r0 and r3) are saved in r10 and rcx around the hardware divide.
    /// </summary>
    private void EmitDivide(Instruction insn, int i, bool is64)
    {
        if (insn.Offset is not (0 or 1))
        {
            throw Unsupported(insn, i, "div and mod take an offset of 0 (unsigned) or 1 (signed)");
        }
        var width = is64 ? X64Width.Qword : X64Width.Dword;
        var signed = insn.Offset == 1;
        var modulo = insn.AluOperation == AluOperation.Mod;
        var dst = Host(insn.Dst);
        var done = _asm.CreateLabel();
        X64Label? zero = null;
        X64Label? minusOne = null;

        if (insn.Source == OperandSource.Immediate)
        {
            var divisor = is64 ? insn.Imm : (long)(uint)insn.Imm;
            if (insn.Imm == 0)
            {
                EmitDivideByZero(modulo, is64, dst);
                return;
            }
            if (signed && insn.Imm == -1)
            {
                EmitDivideByMinusOne(modulo, width, dst);
                return;
            }
            if (!signed && insn.Imm > 0 && (insn.Imm & (insn.Imm - 1)) == 0)
            {
                // A power of two: a shift or a mask.
                if (modulo)
                {
                    _asm.Alu(X64AluOperation.And, width, dst, insn.Imm - 1);
                }
                else if (insn.Imm > 1)
                {
                    _asm.Shift(X64ShiftOperation.Shr, width, dst, (byte)System.Numerics.BitOperations.Log2((uint)insn.Imm));
                }
                else if (!is64)
                {
                    _asm.Mov(X64Width.Dword, dst, dst);
                }
                return;
            }
            _asm.MovImmediate(Scratch, divisor);
        }
        else
        {
            _asm.Mov(X64Width.Qword, Scratch, Host(insn.Src));
            zero = _asm.CreateLabel();
            _asm.Test(width, Scratch, Scratch);
            _asm.Jcc(X64Condition.Equal, zero.Value, forceShort: true);
            if (signed)
            {
                minusOne = _asm.CreateLabel();
                _asm.Alu(X64AluOperation.Cmp, width, Scratch, -1);
                _asm.Jcc(X64Condition.Equal, minusOne.Value, forceShort: true);
            }
        }

        // rax and rdx hold r0 and r3: keep whichever is not the destination.
        if (dst != X64Register.Rax)
        {
            _asm.Mov(X64Width.Qword, Scratch2, X64Register.Rax);
        }
        if (dst != X64Register.Rdx)
        {
            _asm.Mov(X64Width.Qword, CountRegister, X64Register.Rdx);
        }
        if (dst != X64Register.Rax)
        {
            _asm.Mov(X64Width.Qword, X64Register.Rax, dst);
        }
        if (signed)
        {
            _asm.SignExtendAccumulator(width);
            _asm.Unary(X64UnaryOperation.Idiv, width, Scratch);
        }
        else
        {
            _asm.Alu(X64AluOperation.Xor, X64Width.Dword, X64Register.Rdx, X64Register.Rdx);
            _asm.Unary(X64UnaryOperation.Div, width, Scratch);
        }
        var result = modulo ? X64Register.Rdx : X64Register.Rax;
        if (dst == X64Register.Rax)
        {
            if (result != X64Register.Rax)
            {
                _asm.Mov(X64Width.Qword, X64Register.Rax, result);
            }
            _asm.Mov(X64Width.Qword, X64Register.Rdx, CountRegister);
        }
        else if (dst == X64Register.Rdx)
        {
            if (result != X64Register.Rdx)
            {
                _asm.Mov(X64Width.Qword, X64Register.Rdx, result);
            }
            _asm.Mov(X64Width.Qword, X64Register.Rax, Scratch2);
        }
        else
        {
            _asm.Mov(X64Width.Qword, Scratch, result);
            _asm.Mov(X64Width.Qword, X64Register.Rax, Scratch2);
            _asm.Mov(X64Width.Qword, X64Register.Rdx, CountRegister);
            _asm.Mov(X64Width.Qword, dst, Scratch);
        }
        if (dst != X64Register.Rdx)
        {
            LoadContextRegister(); // rcx kept r3
        }

        if (zero is not null)
        {
            _asm.Jmp(done, forceShort: true);
            _asm.Bind(zero.Value);
            EmitDivideByZero(modulo, is64, dst);
            if (minusOne is not null)
            {
                _asm.Jmp(done, forceShort: true);
                _asm.Bind(minusOne.Value);
                EmitDivideByMinusOne(modulo, width, dst);
            }
        }
        _asm.Bind(done);
    }

    private void EmitDivideByZero(bool modulo, bool is64, X64Register dst)
    {
        if (!modulo)
        {
            _asm.Alu(X64AluOperation.Xor, X64Width.Dword, dst, dst);
        }
        else if (!is64)
        {
            _asm.Mov(X64Width.Dword, dst, dst);
        }
    }

    private void EmitDivideByMinusOne(bool modulo, X64Width width, X64Register dst)
    {
        if (modulo)
        {
            _asm.Alu(X64AluOperation.Xor, X64Width.Dword, dst, dst);
        }
        else
        {
            _asm.Unary(X64UnaryOperation.Neg, width, dst);
        }
    }

    // ---- jumps, calls, exit ----

    private void EmitJump(Instruction insn, int i)
    {
        if (TryEmitSwitch(i))
        {
            return;
        }
        var is64 = insn.Class == InstructionClass.Jmp;
        var op = insn.JumpOperation;
        switch (op)
        {
            case JumpOperation.Ja:
                {
                    if (insn.Source != OperandSource.Immediate)
                    {
                        throw Unsupported(insn, i);
                    }
                    var target = is64 ? i + 1 + insn.Offset : i + 1 + insn.Imm;
                    if (_countsBudget && target <= i)
                    {
                        if (TryJumpToHeadSpend(null, target, i))
                        {
                            return;
                        }
                        SpendBudget(i);
                    }
                    if (target != i + 1)
                    {
                        _asm.Jmp(_instructionLabels[target]);
                    }
                    return;
                }
            case JumpOperation.Call:
                if (!is64)
                {
                    throw Unsupported(insn, i);
                }
                EmitCall(insn, i);
                return;
            case JumpOperation.Exit:
                if (!is64 || insn.Source != OperandSource.Immediate)
                {
                    throw Unsupported(insn, i);
                }
                EmitExit(i);
                return;
        }

        var targetIndex = i + 1 + insn.Offset;
        if (targetIndex == i + 1)
        {
            _ = ConditionOf(insn, i); // still refuses an unknown operation
            return; // Both ways lead to the next instruction.
        }
        var condition = EmitCompare(insn, i);
        if (_countsBudget && targetIndex <= i)
        {
            if (TryJumpToHeadSpend(condition, targetIndex, i))
            {
                return;
            }
            // A backward branch closes a loop: pay for it when taken.
            var notTaken = _asm.CreateLabel();
            _asm.Jcc((X64Condition)((byte)condition ^ 1), notTaken);
            SpendBudget(i);
            _asm.Jmp(_instructionLabels[targetIndex]);
            _asm.Bind(notTaken);
            return;
        }
        _asm.Jcc(condition, _instructionLabels[targetIndex]);
    }

    private X64Condition ConditionOf(Instruction insn, int i) => insn.JumpOperation switch
    {
        JumpOperation.Jeq => X64Condition.Equal,
        JumpOperation.Jne => X64Condition.NotEqual,
        JumpOperation.Jset => X64Condition.NotEqual,
        JumpOperation.Jgt => X64Condition.Above,
        JumpOperation.Jge => X64Condition.AboveOrEqual,
        JumpOperation.Jlt => X64Condition.Below,
        JumpOperation.Jle => X64Condition.BelowOrEqual,
        JumpOperation.Jsgt => X64Condition.Greater,
        JumpOperation.Jsge => X64Condition.GreaterOrEqual,
        JumpOperation.Jslt => X64Condition.Less,
        JumpOperation.Jsle => X64Condition.LessOrEqual,
        _ => throw Unsupported(insn, i),
    };

    /// <summary>The flags of a conditional jump's test (cmp, or test for jset and compares with 0); returns the condition that takes it.</summary>
    private X64Condition EmitCompare(Instruction insn, int i)
    {
        var condition = ConditionOf(insn, i);
        var width = insn.Class == InstructionClass.Jmp ? X64Width.Qword : X64Width.Dword;
        var op = insn.JumpOperation;
        var dst = Host(insn.Dst);
        if (insn.Source == OperandSource.Immediate)
        {
            if (op == JumpOperation.Jset)
            {
                _asm.Test(width, dst, insn.Imm);
            }
            else if (insn.Imm == 0)
            {
                // test r, r sets the flags exactly as cmp r, 0 does (CF and OF cleared).
                _asm.Test(width, dst, dst);
            }
            else
            {
                _asm.Alu(X64AluOperation.Cmp, width, dst, insn.Imm);
            }
        }
        else
        {
            var src = Host(insn.Src);
            if (op == JumpOperation.Jset)
            {
                _asm.Test(width, dst, src);
            }
            else
            {
                _asm.Alu(X64AluOperation.Cmp, width, dst, src);
            }
        }
        return condition;
    }

    private void EmitExit(int i)
    {
        if (_hasLocalCalls)
        {
            _asm.AluMemoryImmediate(X64AluOperation.Cmp, X64Width.Dword, State, RunState.CallDepthOffset, 0);
            _asm.Jcc(X64Condition.Equal, _exit);
            _asm.Ret();
        }
        else if (i != LastInstructionIndex())
        {
            _asm.Jmp(_exit);
        }
    }

    private void EmitCall(Instruction insn, int i)
    {
        if (insn.Source == OperandSource.Register)
        {
            EmitCallRegister(insn, i);
            return;
        }
        switch ((CallSource)insn.Src)
        {
            case CallSource.Helper:
                if (!_image.Helpers.TryGet(insn.Imm, out var helper))
                {
                    throw Fail(DiagnosticCodes.JitUnknownHelper,
                        $"helper {insn.Imm} is not in the helper table '{_image.Helpers.Name}'; register it or use a table that has it", i);
                }
                if (TryEmitInlineLookup(helper, i))
                {
                    // The inline code borrows rcx; every way through it ends here.
                    LoadContextRegister();
                }
                else
                {
                    EmitHelperCall(helper, i);
                }
                break;
            case CallSource.Local:
                EmitLocalCall(i + 1 + insn.Imm, i);
                break;
            default:
                throw Unsupported(insn, i, "calls by BTF id (kfuncs) are not supported");
        }
    }

    private void EmitHelperCall(HelperFunction helper, int i)
    {
        if (!_usedHelpers.Contains(helper))
        {
            _usedHelpers.Add(helper);
        }
        _asm.Mov(X64Width.Qword, X64Register.Rcx, X64Register.R9); // r4 -> 4th argument
        StoreLiveStackLow();
        StoreBudgetRegister();
        _asm.MovAbsolute(X64Register.Rax, _bindings.HelperEntry(helper));
        _asm.CallRegister(X64Register.Rax);
        LoadBudgetRegister();
        LoadContextRegister();
        LeaveIfHelperFailed(i);
        if (helper.StopsProgramOnZero)
        {
            _asm.Test(X64Width.Qword, X64Register.Rax, X64Register.Rax);
            _asm.Jcc(X64Condition.Equal, _exit); // r0 is already 0
        }
        if (helper.Id == HelperIds.TailCall)
        {
            EmitTailCallContinuation();
        }
        ClearScratchAfterCall();
    }

    /// <summary>
    /// Checked code: r1-r5 are undefined after a helper call and hold whatever the helper left in the
    /// argument registers (host pointers); unverified code may read them, so they become 0. Verified
    /// code cannot read them (the verifier marks them uninitialised).
    /// </summary>
    private void ClearScratchAfterCall()
    {
        if (_checked)
        {
            ZeroRegisters(X64Register.Rdi, X64Register.Rsi, X64Register.Rdx, X64Register.R9, X64Register.R8);
        }
    }

    /// <summary>The tail-call hook: when the helper armed a target, unwind to the outer frame and jump there.</summary>
    private void EmitTailCallContinuation()
    {
        var none = _asm.CreateLabel();
        _asm.Load(X64Width.Qword, Scratch, State, RunState.TailCallTargetOffset);
        _asm.Test(X64Width.Qword, Scratch, Scratch);
        _asm.Jcc(X64Condition.Equal, none);
        _asm.StoreImmediate(X64Width.Qword, State, RunState.TailCallTargetOffset, 0);
        _asm.StoreImmediate(X64Width.Dword, State, RunState.CallDepthOffset, 0);
        _asm.Load(X64Width.Qword, X64Register.Rsp, State, RunState.SavedStackPointerOffset);
        _asm.Lea(X64Register.Rbp, X64Register.Rsp, _frameBlock);
        // The target starts with a clear frame, as after its own prologue (it may be checked code
        // continuing from a verified caller, whose frame was never cleared); r11 holds the target.
        ZeroFrame(Scratch2);
        // r3-r5 hold what the tail-call helper left in the argument registers; r0 is its result, 0.
        ZeroRegisters(X64Register.Rdx, X64Register.R9, X64Register.R8);
        _asm.Load(X64Width.Qword, X64Register.Rdi, State, RunState.ContextStartOffset);
        _asm.Load(X64Width.Qword, X64Register.Rsi, State, RunState.ContextEndOffset);
        _asm.Alu(X64AluOperation.Sub, X64Width.Qword, X64Register.Rsi, X64Register.Rdi);
        _asm.JmpRegister(Scratch);
        _asm.Bind(none);
    }

    private void EmitLocalCall(int target, int i)
    {
        _asm.AluMemoryImmediate(X64AluOperation.Cmp, X64Width.Dword, State, RunState.CallDepthOffset, MaxCallDepth);
        FaultIf(X64Condition.AboveOrEqual, JitFault.CallDepth, i);
        if (_countsBudget)
        {
            SpendBudget(i);
        }
        _asm.IncrementMemory(X64Width.Dword, State, RunState.CallDepthOffset);
        // Five pushes and the return address keep rsp 16-byte aligned inside the callee.
        _asm.Push(X64Register.Rbx);
        _asm.Push(X64Register.R13);
        _asm.Push(X64Register.R14);
        _asm.Push(X64Register.R15);
        _asm.Push(X64Register.Rbp);
        _asm.Alu(X64AluOperation.Sub, X64Width.Qword, X64Register.Rbp, _frameSize);
        if (_zeroesFrames)
        {
            ZeroFrame();
        }
        _asm.Call(_instructionLabels[target]);
        _asm.Pop(X64Register.Rbp);
        _asm.Pop(X64Register.R15);
        _asm.Pop(X64Register.R14);
        _asm.Pop(X64Register.R13);
        _asm.Pop(X64Register.Rbx);
        _asm.IncrementMemory(X64Width.Dword, State, RunState.CallDepthOffset, decrement: true);
    }

    /// <summary>
    /// callx: the register holds a helper id. The table after the code has 16 bytes per id (entry,
    /// stops-on-zero flag); an id outside it or without a helper faults.
    /// </summary>
    private void EmitCallRegister(Instruction insn, int i)
    {
        // Linux puts the register in dst; assemblers that put it in imm with dst 0 are read the same way.
        var number = insn.Dst != 0 ? insn.Dst : insn.Imm;
        if (number is < 0 or > 10)
        {
            throw Fail(DiagnosticCodes.JitInvalidRegister, $"callx names register {number}; registers are r0 to r10", i);
        }
        var idRegister = Host((byte)number);
        var table = CallxTableIds();
        var anyStops = table.Any(h => h?.StopsProgramOnZero == true);
        _asm.Alu(X64AluOperation.Cmp, X64Width.Qword, idRegister, table.Length);
        FaultIf(X64Condition.AboveOrEqual, JitFault.UnknownHelper, i);
        _asm.Mov(X64Width.Qword, Scratch2, idRegister);
        _asm.Shift(X64ShiftOperation.Shl, X64Width.Qword, Scratch2, 4);
        _asm.LeaLabel(Scratch, _callxTable);
        _asm.Alu(X64AluOperation.Add, X64Width.Qword, Scratch, Scratch2);
        if (anyStops)
        {
            _asm.Load(X64Width.Qword, Scratch2, Scratch, 8);
        }
        _asm.Load(X64Width.Qword, Scratch, Scratch, 0);
        _asm.Test(X64Width.Qword, Scratch, Scratch);
        FaultIf(X64Condition.Equal, JitFault.UnknownHelper, i);
        _asm.Mov(X64Width.Qword, X64Register.Rcx, X64Register.R9);
        StoreLiveStackLow();
        StoreBudgetRegister();
        if (anyStops)
        {
            // Keep the flag across the call; two slots keep rsp aligned.
            _asm.Push(Scratch2);
            _asm.Push(Scratch2);
            _asm.CallRegister(Scratch);
            LoadBudgetRegister();
            LoadContextRegister();
            _asm.Pop(Scratch2);
            _asm.Pop(Scratch2);
            LeaveIfHelperFailed(i);
            var keep = _asm.CreateLabel();
            _asm.Test(X64Width.Qword, Scratch2, Scratch2);
            _asm.Jcc(X64Condition.Equal, keep, forceShort: true);
            _asm.Test(X64Width.Qword, X64Register.Rax, X64Register.Rax);
            _asm.Jcc(X64Condition.Equal, _exit);
            _asm.Bind(keep);
        }
        else
        {
            _asm.CallRegister(Scratch);
            LoadBudgetRegister();
            LoadContextRegister();
            LeaveIfHelperFailed(i);
        }
        ClearScratchAfterCall();
    }

    private HelperFunction?[] CallxTableIds() => _callxHelpers ??= BuildCallxTable();

    private HelperFunction?[] BuildCallxTable()
    {
        var max = -1;
        foreach (var helper in _image.Helpers)
        {
            if (helper.Id is >= 0 and < 65536)
            {
                max = Math.Max(max, helper.Id);
            }
        }
        var table = new HelperFunction?[max + 1];
        foreach (var helper in _image.Helpers)
        {
            if (helper.Id is >= 0 and < 65536)
            {
                table[helper.Id] = helper;
            }
        }
        return table;
    }

    private CallxTable? EmitCallxTable()
    {
        if (!_usesCallx)
        {
            return null;
        }
        _asm.Align(16);
        _asm.Bind(_callxTable);
        var table = CallxTableIds();
        foreach (var helper in table)
        {
            if (helper is null)
            {
                _asm.Emit64(0);
                _asm.Emit64(0);
            }
            else
            {
                _asm.Emit64(_bindings.HelperEntry(helper));
                _asm.Emit64(helper.StopsProgramOnZero ? 1 : 0);
                if (!_usedHelpers.Contains(helper))
                {
                    _usedHelpers.Add(helper);
                }
            }
        }
        return new CallxTable(_asm.PositionOf(_callxTable), table.Length);
    }

    // ---- ld_imm64 ----

    private void EmitLoadImm64(Instruction insn, int i)
    {
        if (!insn.IsLoadImm64)
        {
            if (!ProgramValidator.IsLegacyPacketLoad(insn))
            {
                throw Unsupported(insn, i, "LD takes ld_imm64 or a legacy packet load (ABS/IND of 1, 2 or 4 bytes)");
            }
            if (!_image.SocketBuffer)
            {
                throw Fail(DiagnosticCodes.LegacyPacketLoadUnsupported, ProgramValidator.LegacyPacketLoadRefusal(insn), i);
            }
            EmitLegacyPacketLoad(insn, i);
            return;
        }
        RequireWritableDestination(insn, i);
        var next = _code[i + 1];
        var dst = Host(insn.Dst);
        switch ((LoadImm64Source)insn.Src)
        {
            case LoadImm64Source.Immediate:
                _asm.MovImmediate(dst, insn.Imm64With(next));
                break;
            case LoadImm64Source.MapByFd:
            case LoadImm64Source.MapByIndex:
                _asm.MovImmediate(dst, MapAt(insn, i).Handle);
                break;
            case LoadImm64Source.MapValueByFd:
            case LoadImm64Source.MapValueByIndex:
                {
                    var map = MapAt(insn, i);
                    nint address;
                    try
                    {
                        address = map.DirectValueAddress((uint)next.Imm);
                    }
                    catch (Exception e) when (e is NotSupportedException or ArgumentException)
                    {
                        throw Fail(DiagnosticCodes.JitUnsupportedLoadImm64, $"ld_imm64 asks for byte {(uint)next.Imm} of map '{map.Name}': {e.Message}", i);
                    }
                    _asm.MovImmediate(dst, address);
                    break;
                }
            case LoadImm64Source.CodeAddress:
                // A C-callable entry (u64 f(u64 x5)) that runs the function, as callback helpers expect.
                _asm.MovImmediate(dst, _bindings.CallbackEntry(i + 1 + insn.Imm));
                break;
            default:
                throw Fail(DiagnosticCodes.JitUnsupportedLoadImm64,
                    $"ld_imm64 with src {insn.Src} (variable address) cannot be bound; relocate the program so that it refers to maps", i);
        }
    }

    private Maps.BpfMap MapAt(Instruction insn, int i)
    {
        if (insn.Imm < 0 || insn.Imm >= _image.Maps.Count)
        {
            throw Fail(DiagnosticCodes.JitUnsupportedLoadImm64,
                $"ld_imm64 refers to map {insn.Imm} but the program has {_image.Maps.Count} map(s)", i);
        }
        return _image.Maps[insn.Imm];
    }

    // ---- memory ----

    private static X64Width WidthOf(MemorySize size) => size switch
    {
        MemorySize.Byte => X64Width.Byte,
        MemorySize.Half => X64Width.Word,
        MemorySize.Word => X64Width.Dword,
        _ => X64Width.Qword,
    };

    /// <summary>
    /// The operand of an access: [base + off] when no check is needed, else the checked address in r11.
    /// An access through r10 whose whole extent lies in the current frame needs no check, checked mode or not.
    /// </summary>
    private (X64Register Base, int Displacement) Address(byte baseRegister, short offset, int size, bool write, int i, bool atomic = false)
    {
        var host = Host(baseRegister);
        var inFrame = baseRegister == 10 && offset >= -_frameSize && offset + size <= 0 && (!atomic || (offset & (size - 1)) == 0);
        if (!_checked || inFrame)
        {
            return (host, offset);
        }
        // Inline: the context, where most checked accesses go, in one unsigned compare against the limit
        // the run state holds for this size (RunState.SetContext). Anything else (stack frames through a
        // pointer, map values, misaligned atomics, faults) takes the out-of-line path.
        var slow = _asm.CreateLabel();
        var ok = _asm.CreateLabel();
        if (atomic)
        {
            // The atomic sequences move registers around before the access: the address stays in r11.
            _asm.Lea(Scratch, host, offset);
            _asm.Test(X64Width.Dword, Scratch, size - 1);
            _asm.Jcc(X64Condition.NotEqual, slow);
            _asm.LeaIndexed(Scratch2, Scratch, ContextRegister, 0);
        }
        else
        {
            // A load or store uses [base + off] itself once the check passes: the hot path is lea
            // (address - context start, rcx holding the negated start), cmp, jae; only the slow path
            // puts the address in r11 for the check routine.
            _asm.LeaIndexed(Scratch2, host, ContextRegister, offset);
        }
        _asm.AluLoad(X64AluOperation.Cmp, X64Width.Qword, Scratch2, State, RunState.ContextLimitOffset(size));
        _asm.Jcc(X64Condition.AboveOrEqual, slow);
        _asm.Bind(ok);
        _slowPaths.Add(new SlowPath(slow, ok, CheckRoutine(size, write, atomic), i, atomic ? null : host, offset));
        return atomic ? (Scratch, 0) : (host, offset);
    }

    /// <param name="AddressBase">When not null, the slow path first computes the address, AddressBase + Offset, into r11.</param>
    private readonly record struct SlowPath(X64Label Entry, X64Label Resume, X64Label Routine, int Index, X64Register? AddressBase, int Offset);

    /// <summary>The out-of-line half of each checked access: the full check, then back or to a fault.</summary>
    private void EmitSlowPaths()
    {
        foreach (var path in _slowPaths)
        {
            _asm.Bind(path.Entry);
            if (path.AddressBase is { } addressBase)
            {
                _asm.Lea(Scratch, addressBase, path.Offset);
            }
            _asm.Call(path.Routine);
            _asm.Test(X64Width.Dword, Scratch2, Scratch2);
            var stub = _asm.CreateLabel();
            _stubs.Add(new FaultStub(stub, JitFault.None, path.Index));
            _asm.Jcc(X64Condition.NotEqual, stub);
            _asm.Jmp(path.Resume);
        }
    }

    private X64Label CheckRoutine(int size, bool write, bool atomic)
    {
        var key = size | (write ? 0x100 : 0) | (atomic ? 0x200 : 0);
        if (!_checkRoutines.TryGetValue(key, out var label))
        {
            label = _asm.CreateLabel();
            _checkRoutines.Add(key, label);
        }
        return label;
    }

    /// <summary>
    /// One routine per access size and kind: r11 = address in, r10d = 0 or a <see cref="JitFault"/> out.
    /// The live stack frames and the context are checked inline; anything else (map values) goes to
    /// the managed checker, with the registers it may clobber saved.
    /// </summary>
    private void EmitCheckRoutines()
    {
        foreach (var (key, label) in _checkRoutines)
        {
            var size = key & 0xff;
            _asm.Bind(label);
            var notStack = _asm.CreateLabel();
            var slow = _asm.CreateLabel();
            var ok = _asm.CreateLabel();
            if ((key & 0x200) != 0)
            {
                // Atomics must be naturally aligned, as on the interpreter.
                var aligned = _asm.CreateLabel();
                _asm.Test(X64Width.Dword, Scratch, size - 1);
                _asm.Jcc(X64Condition.Equal, aligned, forceShort: true);
                _asm.Store(X64Width.Qword, State, RunState.FaultAddressOffset, Scratch);
                _asm.StoreImmediate(X64Width.Dword, State, RunState.FaultSizeOffset, key & 0x1ff);
                _asm.MovImmediate32(Scratch2, (uint)JitFault.Misaligned);
                _asm.Ret();
                _asm.Bind(aligned);
            }
            // Live frames: [rbp - frame, stack top).
            _asm.Lea(Scratch2, X64Register.Rbp, -_frameSize);
            _asm.Alu(X64AluOperation.Cmp, X64Width.Qword, Scratch, Scratch2);
            _asm.Jcc(X64Condition.Below, notStack, forceShort: true);
            _asm.Mov(X64Width.Qword, Scratch2, Scratch);
            _asm.Alu(X64AluOperation.Add, X64Width.Qword, Scratch2, size);
            _asm.Jcc(X64Condition.Below, notStack, forceShort: true); // carry: wrapped
            _asm.AluLoad(X64AluOperation.Cmp, X64Width.Qword, Scratch2, State, RunState.StackTopOffset);
            _asm.Jcc(X64Condition.BelowOrEqual, ok, forceShort: true);
            _asm.Bind(notStack);
            // Context: [start, end).
            var maps = _asm.CreateLabel();
            _asm.AluLoad(X64AluOperation.Cmp, X64Width.Qword, Scratch, State, RunState.ContextStartOffset);
            _asm.Jcc(X64Condition.Below, maps, forceShort: true);
            _asm.Mov(X64Width.Qword, Scratch2, Scratch);
            _asm.Alu(X64AluOperation.Add, X64Width.Qword, Scratch2, size);
            _asm.Jcc(X64Condition.Below, maps, forceShort: true);
            _asm.AluLoad(X64AluOperation.Cmp, X64Width.Qword, Scratch2, State, RunState.ContextEndOffset);
            _asm.Jcc(X64Condition.Above, maps, forceShort: true);
            _asm.Bind(ok);
            _asm.Alu(X64AluOperation.Xor, X64Width.Dword, Scratch2, Scratch2);
            _asm.Ret();

            _asm.Bind(maps);
            EmitFixedRegionTests(size, write: (key & 0x100) != 0, ok, slow);
            _asm.Bind(slow);
            X64Register[] saved = [X64Register.Rax, X64Register.Rcx, X64Register.Rdx, X64Register.Rsi, X64Register.Rdi, X64Register.R8, X64Register.R9, X64Register.R11];
            foreach (var reg in saved)
            {
                _asm.Push(reg);
            }
            // Entered 8 off alignment (the call), eight pushes keep it so; 8 more aligns.
            _asm.Alu(X64AluOperation.Sub, X64Width.Qword, X64Register.Rsp, 8);
            _asm.Mov(X64Width.Qword, X64Register.Rdi, State);
            _asm.Mov(X64Width.Qword, X64Register.Rsi, Scratch);
            _asm.MovImmediate32(X64Register.Rdx, (uint)(key & 0x1ff));
            _asm.MovAbsolute(X64Register.Rax, _bindings.CheckerEntry);
            StoreBudgetRegister();
            _asm.CallRegister(X64Register.Rax);
            LoadBudgetRegister();
            _asm.Mov(X64Width.Dword, Scratch2, X64Register.Rax);
            _asm.Alu(X64AluOperation.Add, X64Width.Qword, X64Register.Rsp, 8);
            for (var r = saved.Length - 1; r >= 0; r--)
            {
                _asm.Pop(saved[r]);
            }
            _asm.Ret();
        }
    }

    /// <summary>
    /// Fixed value blocks (array and global-data maps) tested inline: r11 - start must not exceed
    /// length - size (unsigned, so an address below the start wraps and fails). Regions a write may
    /// not use, or too large for a 32-bit compare, are left to the slow path, which also names the fault.
    /// </summary>
    private void EmitFixedRegionTests(int size, bool write, X64Label ok, X64Label slow)
    {
        var regions = _bindings.FixedRegions
            .Where(r => (!write || r.Writable) && r.Length >= (ulong)size && r.Length - (ulong)size <= int.MaxValue)
            .ToList();
        if (regions.Count == 0)
        {
            return;
        }
        _asm.AluMemoryImmediate(X64AluOperation.Cmp, X64Width.Dword, State, RunState.FixedRegionsLiveOffset, 0);
        _asm.Jcc(X64Condition.Equal, slow);
        foreach (var region in regions)
        {
            _asm.MovAbsolute(Scratch2, -(long)region.Start);
            _asm.Alu(X64AluOperation.Add, X64Width.Qword, Scratch2, Scratch);
            _asm.Alu(X64AluOperation.Cmp, X64Width.Qword, Scratch2, (int)(region.Length - (ulong)size));
            _asm.Jcc(X64Condition.BelowOrEqual, ok);
        }
    }

    private void EmitLoad(Instruction insn, int i)
    {
        RequireWritableDestination(insn, i);
        var mode = insn.MemoryMode;
        if (mode is not (MemoryMode.Mem or MemoryMode.MemSx) || (mode == MemoryMode.MemSx && insn.MemorySize == MemorySize.DoubleWord))
        {
            throw Unsupported(insn, i);
        }
        var width = WidthOf(insn.MemorySize);
        var (baseRegister, displacement) = Address(insn.Src, insn.Offset, (int)width, write: false, i);
        if (mode == MemoryMode.MemSx)
        {
            _asm.LoadSignExtended(width, Host(insn.Dst), baseRegister, displacement);
        }
        else
        {
            _asm.Load(width, Host(insn.Dst), baseRegister, displacement);
        }
    }

    private void EmitStore(Instruction insn, int i)
    {
        var width = WidthOf(insn.MemorySize);
        if (insn.Class == InstructionClass.St)
        {
            if (insn.MemoryMode != MemoryMode.Mem)
            {
                throw Unsupported(insn, i);
            }
            var (b, d) = Address(insn.Dst, insn.Offset, (int)width, write: true, i);
            _asm.StoreImmediate(width, b, d, insn.Imm);
            return;
        }
        if (insn.MemoryMode == MemoryMode.Mem)
        {
            var (b, d) = Address(insn.Dst, insn.Offset, (int)width, write: true, i);
            _asm.Store(width, b, d, Host(insn.Src));
            return;
        }
        if (insn.MemoryMode != MemoryMode.Atomic || width is not (X64Width.Dword or X64Width.Qword))
        {
            throw Unsupported(insn, i, "atomics are 32 or 64 bits wide");
        }
        EmitAtomic(insn, i, width);
    }

    private void EmitAtomic(Instruction insn, int i, X64Width width)
    {
        var operation = insn.AtomicOperation;
        var fetches = ((int)operation & (int)AtomicOperation.Fetch) != 0;
        if (fetches && insn.Src == 10)
        {
            throw Fail(DiagnosticCodes.JitInvalidRegister, "a fetching atomic would write the read-only frame pointer r10", i);
        }
        X64AluOperation? plain = operation switch
        {
            AtomicOperation.Add => X64AluOperation.Add,
            AtomicOperation.Or => X64AluOperation.Or,
            AtomicOperation.And => X64AluOperation.And,
            AtomicOperation.Xor => X64AluOperation.Xor,
            _ => null,
        };
        if (operation is not (AtomicOperation.Add or AtomicOperation.Or or AtomicOperation.And or AtomicOperation.Xor
            or AtomicOperation.FetchAdd or AtomicOperation.FetchOr or AtomicOperation.FetchAnd or AtomicOperation.FetchXor
            or AtomicOperation.Xchg or AtomicOperation.CmpXchg))
        {
            throw Unsupported(insn, i, $"atomic operation 0x{insn.Imm:x2} does not exist");
        }
        var (b, d) = Address(insn.Dst, insn.Offset, (int)width, write: true, i, atomic: true);
        var src = Host(insn.Src);
        switch (operation)
        {
            case AtomicOperation.FetchAdd:
                _asm.LockXadd(width, b, d, src);
                return;
            case AtomicOperation.Xchg:
                _asm.Xchg(width, b, d, src);
                return;
            case AtomicOperation.CmpXchg:
                _asm.LockCmpxchg(width, b, d, src);
                if (width == X64Width.Dword)
                {
                    // A successful 32-bit cmpxchg leaves rax untouched; r0 must hold the zero-extended old value.
                    _asm.Mov(X64Width.Dword, X64Register.Rax, X64Register.Rax);
                }
                return;
        }
        if (plain is { } op)
        {
            _asm.AluStore(op, width, b, d, src, locked: true);
            return;
        }

        // fetch or/and/xor: a cmpxchg loop, which needs rax (r0): keep r0 in r10 meanwhile.
        var fetchOp = operation switch
        {
            AtomicOperation.FetchOr => X64AluOperation.Or,
            AtomicOperation.FetchAnd => X64AluOperation.And,
            _ => X64AluOperation.Xor,
        };
        if (b != Scratch)
        {
            _asm.Lea(Scratch, b, d);
        }
        _asm.Mov(X64Width.Qword, Scratch2, X64Register.Rax);
        var operand = src == X64Register.Rax ? Scratch2 : src;
        _asm.Load(width, X64Register.Rax, Scratch, 0);
        var loop = _asm.CreateLabel();
        _asm.Bind(loop);
        _asm.Mov(X64Width.Qword, CountRegister, X64Register.Rax);
        _asm.Alu(fetchOp, width, CountRegister, operand);
        _asm.LockCmpxchg(width, Scratch, 0, CountRegister);
        _asm.Jcc(X64Condition.NotEqual, loop);
        if (src != X64Register.Rax)
        {
            _asm.Mov(X64Width.Qword, src, X64Register.Rax);
            _asm.Mov(X64Width.Qword, X64Register.Rax, Scratch2);
        }
        LoadContextRegister();
    }
}
