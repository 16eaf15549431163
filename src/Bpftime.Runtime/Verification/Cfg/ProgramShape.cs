using Bpftime.Diagnostics;
using Bpftime.Helpers;
using Bpftime.Isa;

namespace Bpftime.Verification;

/// <summary>
/// What the verifier learns from the code before running it: where functions start, which slots are
/// second halves of ld_imm64, where states are worth keeping (jump targets, branch fall-throughs,
/// returns from calls, function entries), which registers are live at each instruction, and the
/// static call graph.
/// </summary>
internal sealed class ProgramShape
{
    private const ushort CallerSaved = 0b11_1111; // r0-r5

    public ProgramShape(Instruction[] code)
    {
        Code = code;
        SecondSlot = new bool[code.Length];
        PrunePoint = new bool[code.Length];
        FunctionOf = new int[code.Length];
        LiveIn = new ushort[code.Length];
        var starts = new SortedSet<int> { 0 };
        for (var i = 0; i < code.Length; i++)
        {
            var insn = code[i];
            if (insn.IsLoadImm64)
            {
                if (i + 1 < code.Length)
                {
                    SecondSlot[i + 1] = true;
                }
                if (insn.Src == (byte)LoadImm64Source.CodeAddress)
                {
                    AddStart(starts, i, (long)i + 1 + insn.Imm);
                }
                i++;
                continue;
            }
            if (insn.IsLocalCall)
            {
                AddStart(starts, i, (long)i + 1 + insn.Imm);
            }
        }
        FunctionStarts = [.. starts];
        var current = 0;
        for (var i = 0; i < code.Length; i++)
        {
            if (current + 1 < FunctionStarts.Count && FunctionStarts[current + 1] == i)
            {
                current++;
            }
            FunctionOf[i] = FunctionStarts[current];
        }
        foreach (var start in FunctionStarts)
        {
            PrunePoint[start] = true;
            Callees[start] = [];
        }
        for (var i = 0; i < code.Length; i++)
        {
            if (SecondSlot[i])
            {
                continue;
            }
            var insn = code[i];
            if (insn.IsJump && !insn.IsCall && !insn.IsExit)
            {
                var target = JumpTarget(i);
                if (target is >= 0 && target < code.Length)
                {
                    PrunePoint[target] = true;
                }
                if (insn.Opcode is not (Opcodes.Ja or Opcodes.Gotol) && i + 1 < code.Length)
                {
                    PrunePoint[i + 1] = true;
                }
            }
            if (insn.IsLocalCall && i + 1 < code.Length)
            {
                PrunePoint[i + 1] = true;
                var target = i + 1 + insn.Imm;
                if (target >= 0 && target < code.Length)
                {
                    Callees[FunctionOf[i]].Add((i, target));
                }
            }
            if (insn.IsLoadImm64 && insn.Src == (byte)LoadImm64Source.CodeAddress && i + 1 < code.Length)
            {
                var target = i + 1 + insn.Imm;
                if (target >= 0 && target < code.Length)
                {
                    Callees[FunctionOf[i]].Add((i, target));
                }
            }
            if (insn.IsHelperCall && i + 1 < code.Length)
            {
                // Callback helpers return here after their callbacks; keep states too.
                PrunePoint[i + 1] = true;
            }
        }
        MergePoint = new bool[code.Length];
        var predecessors = new byte[code.Length];
        void Reach(long target)
        {
            if (target >= 0 && target < code.Length && predecessors[target] < 2)
            {
                predecessors[target]++;
            }
        }
        for (var i = 0; i < code.Length; i++)
        {
            if (SecondSlot[i])
            {
                continue;
            }
            var insn = code[i];
            if (insn.IsJump && !insn.IsCall && !insn.IsExit)
            {
                Reach(JumpTarget(i));
            }
            if (!insn.IsExit && !(insn.IsJump && insn.Opcode is Opcodes.Ja or Opcodes.Gotol))
            {
                Reach(i + (insn.IsLoadImm64 ? 2 : 1));
            }
        }
        for (var i = 0; i < code.Length; i++)
        {
            MergePoint[i] = predecessors[i] >= 2 && PrunePoint[i];
        }
        LoopHead = new bool[code.Length];
        var constants = new List<long> { 0 };
        for (var i = 0; i < code.Length; i++)
        {
            if (SecondSlot[i])
            {
                continue;
            }
            var insn = code[i];
            if (insn.IsJump && !insn.IsCall && !insn.IsExit)
            {
                var target = JumpTarget(i);
                if (target >= 0 && target <= i)
                {
                    // Every cycle has a jump backwards: widening at its targets cuts them all.
                    LoopHead[target] = true;
                }
            }
            if (insn.IsLoadImm64)
            {
                if (insn.Src == (byte)LoadImm64Source.Immediate && i + 1 < code.Length)
                {
                    constants.Add(insn.Imm64With(code[i + 1]));
                }
            }
            else if (!insn.IsCall)
            {
                constants.Add(insn.Imm);
                constants.Add((uint)insn.Imm);
            }
        }
        Thresholds = new WideningThresholds(constants);
        ComputeLiveness();
        Relevant = new ushort[code.Length];
        RelevantStack = new ulong[code.Length];
        ComputeRelevance();
    }

    /// <summary>
    /// Registers whose value (not just type) can still matter for safety from each instruction on:
    /// they may flow into an address, a branch condition, a helper argument or a function's result.
    /// Scalars outside this set (counters, sums) are compared by type alone when pruning.
    /// </summary>
    public ushort[] Relevant { get; }

    /// <summary>The same for the frame's own 8-byte stack slots (bit i: fp-512+8i); all ones when unknown.</summary>
    public ulong[] RelevantStack { get; }

    public Instruction[] Code { get; }

    /// <summary>Targets of backward jumps: where a path that goes around a loop comes back, and is widened.</summary>
    public bool[] LoopHead { get; }

    /// <summary>Instructions that two or more instructions lead to (jump targets also reached otherwise): where paths meet.</summary>
    public bool[] MergePoint { get; }

    /// <summary>The program's constants, where widened bounds stop first.</summary>
    public WideningThresholds Thresholds { get; }

    public bool[] SecondSlot { get; }

    public bool[] PrunePoint { get; }

    /// <summary>The first instruction of the function each instruction belongs to.</summary>
    public int[] FunctionOf { get; }

    public IReadOnlyList<int> FunctionStarts { get; }

    /// <summary>Per function: the calls it makes (call instruction, callee start), callbacks included.</summary>
    public Dictionary<int, List<(int Site, int Callee)>> Callees { get; } = [];

    /// <summary>Registers (bit per register) that some path from the instruction reads before writing.</summary>
    public ushort[] LiveIn { get; }

    public int JumpTarget(int i)
    {
        var insn = Code[i];
        return insn.Opcode == Opcodes.Gotol ? i + 1 + insn.Imm : i + 1 + insn.Offset;
    }

    private void AddStart(SortedSet<int> starts, int at, long target)
    {
        if (target < 0 || target >= Code.Length || (target > 0 && Code[target - 1].IsLoadImm64 && !SecondSlot[target - 1]))
        {
            throw new VerificationError(DiagnosticCodes.VerifierJumpOutOfFunction, at,
                $"the function address {target} is not the start of an instruction of the program");
        }
        starts.Add((int)target);
    }

    /// <summary>Live registers: a backward fixpoint over each function's control flow.</summary>
    private void ComputeLiveness()
    {
        var changed = true;
        while (changed)
        {
            changed = false;
            for (var i = Code.Length - 1; i >= 0; i--)
            {
                if (SecondSlot[i])
                {
                    continue;
                }
                var (use, def) = UseDef(Code[i]);
                ushort outLive = 0;
                foreach (var next in Successors(i))
                {
                    if (next >= 0 && next < Code.Length)
                    {
                        outLive |= LiveIn[next];
                    }
                }
                var live = (ushort)(use | (outLive & ~def));
                if (live != LiveIn[i])
                {
                    LiveIn[i] = live;
                    changed = true;
                }
            }
        }
    }

    private void ComputeRelevance()
    {
        var changed = true;
        while (changed)
        {
            changed = false;
            for (var i = Code.Length - 1; i >= 0; i--)
            {
                if (SecondSlot[i])
                {
                    continue;
                }
                ushort registers = 0;
                ulong stack = 0;
                foreach (var next in Successors(i))
                {
                    if (next >= 0 && next < Code.Length)
                    {
                        registers |= Relevant[next];
                        stack |= RelevantStack[next];
                    }
                }
                RelevanceBefore(i, ref registers, ref stack);
                if (registers != Relevant[i] || stack != RelevantStack[i])
                {
                    Relevant[i] = (ushort)(Relevant[i] | registers);
                    RelevantStack[i] |= stack;
                    changed = true;
                }
            }
        }
    }

    /// <summary>Turns what is relevant after instruction <paramref name="i"/> into what is relevant before it.</summary>
    private void RelevanceBefore(int i, ref ushort registers, ref ulong stack)
    {
        const ulong AllSlots = ulong.MaxValue;
        var insn = Code[i];
        ushort dst = (ushort)(1 << insn.Dst), src = (ushort)(1 << insn.Src);
        var bySource = insn.Source == OperandSource.Register ? src : (ushort)0;
        var dstRelevant = (registers & dst) != 0;
        var slot = insn.Offset is >= -512 and < 0 ? (512 + insn.Offset) / 8 : -1;
        var size = insn.MemorySize.ByteCount();
        var slotBits = SlotBits(insn.Offset, size);
        switch (insn.Class)
        {
            case InstructionClass.Alu:
            case InstructionClass.Alu64:
                if (insn.AluOperation == AluOperation.Mov)
                {
                    registers = (ushort)(registers & ~dst);
                    if (dstRelevant)
                    {
                        registers |= bySource;
                    }
                }
                else if (dstRelevant)
                {
                    registers |= bySource;
                }
                return;
            case InstructionClass.Ldx:
                registers = (ushort)(registers & ~dst);
                if (dstRelevant)
                {
                    stack |= insn.Src == 10 ? slotBits : AllSlots;
                }
                registers |= src;
                return;
            case InstructionClass.St:
                registers |= dst;
                if (insn.Dst == 10 && size == 8 && slot >= 0 && insn.Offset % 8 == 0)
                {
                    stack &= ~slotBits;
                }
                return;
            case InstructionClass.Stx:
                {
                    // Through a pointer other than r10 a function may write its callers' stacks (an
                    // argument, a callback's context), which this function's relevance does not see.
                    var storedMatters = insn.Dst == 10 ? (stack & slotBits) != 0 : stack != 0 || FunctionOf[i] != 0;
                    if (insn.MemoryMode == MemoryMode.Atomic)
                    {
                        var fetched = (insn.Imm & (int)AtomicOperation.Fetch) != 0 && (registers & src) != 0
                            || insn.AtomicOperation == AtomicOperation.CmpXchg && (registers & 1) != 0;
                        registers |= (ushort)(dst | src | (insn.AtomicOperation == AtomicOperation.CmpXchg ? 1 : 0));
                        if (fetched)
                        {
                            stack |= insn.Dst == 10 ? slotBits : AllSlots;
                        }
                        return;
                    }
                    if (insn.Dst == 10 && size == 8 && slot >= 0 && insn.Offset % 8 == 0)
                    {
                        stack &= ~slotBits;
                    }
                    registers |= dst;
                    if (storedMatters)
                    {
                        registers |= src;
                    }
                    return;
                }
            case InstructionClass.Ld:
                registers = insn.IsLoadImm64 ? (ushort)(registers & ~dst) : ushort.MaxValue;
                return;
            default:
                if (insn.IsExit)
                {
                    // A function's result may matter to its caller; the program's own result does not.
                    registers = FunctionOf[i] == 0 ? (ushort)0 : (ushort)1;
                    stack = 0;
                    return;
                }
                if (insn.IsCall)
                {
                    registers = (ushort)((registers & ~CallerSaved) | 0b11_1110);
                    if (!insn.IsHelperCall || insn.Imm is HelperIds.Loop or HelperIds.ForEachMapElem || insn.Imm >= HelperIds.FirstHostId)
                    {
                        stack = AllSlots;
                    }
                    return;
                }
                if (insn.Opcode is not (Opcodes.Ja or Opcodes.Gotol))
                {
                    registers |= (ushort)(dst | bySource);
                }
                return;
        }
    }

    /// <summary>The 8-byte slots an access of <paramref name="size"/> bytes at fp+<paramref name="offset"/> touches.</summary>
    private static ulong SlotBits(int offset, int size)
    {
        var first = 512 + offset;
        var last = first + size - 1;
        if (first < 0 || last >= 512)
        {
            return ulong.MaxValue;
        }
        var bits = 0UL;
        for (var slot = first / 8; slot <= last / 8; slot++)
        {
            bits |= 1UL << slot;
        }
        return bits;
    }

    private IEnumerable<int> Successors(int i)
    {
        var insn = Code[i];
        if (insn.IsExit)
        {
            yield break;
        }
        if (insn.IsLoadImm64)
        {
            yield return i + 2;
            yield break;
        }
        if (insn.IsJump && !insn.IsCall)
        {
            yield return JumpTarget(i);
            if (insn.Opcode is Opcodes.Ja or Opcodes.Gotol)
            {
                yield break;
            }
        }
        var next = i + 1;
        if (next < Code.Length && FunctionOf[next] == FunctionOf[i])
        {
            yield return next;
        }
    }

    private static (ushort Use, ushort Def) UseDef(Instruction insn)
    {
        ushort dst = (ushort)(1 << insn.Dst), src = (ushort)(1 << insn.Src);
        var bySource = insn.Source == OperandSource.Register ? src : (ushort)0;
        switch (insn.Class)
        {
            case InstructionClass.Alu:
            case InstructionClass.Alu64:
                if (insn.AluOperation == AluOperation.Mov)
                {
                    return (bySource, dst);
                }
                return ((ushort)(dst | bySource), dst);
            case InstructionClass.Ldx:
                return (src, dst);
            case InstructionClass.St:
                return (dst, 0);
            case InstructionClass.Stx:
                if (insn.MemoryMode == MemoryMode.Atomic)
                {
                    if (insn.AtomicOperation == AtomicOperation.CmpXchg)
                    {
                        return ((ushort)(dst | src | 1), 1);
                    }
                    var fetch = (insn.Imm & (int)AtomicOperation.Fetch) != 0;
                    return ((ushort)(dst | src), fetch ? src : (ushort)0);
                }
                return ((ushort)(dst | src), 0);
            case InstructionClass.Ld:
                // ld_imm64 defines dst; legacy packet loads read r6 (and src) and define r0-r5.
                return insn.IsLoadImm64 ? ((ushort)0, dst) : ((ushort)((1 << 6) | src), CallerSaved);
            default:
                if (insn.IsExit)
                {
                    return (1, 0);
                }
                if (insn.IsCall)
                {
                    return ((ushort)(0b11_1110 | (insn.Opcode == Opcodes.CallRegister ? dst : 0)), CallerSaved);
                }
                if (insn.Opcode is Opcodes.Ja or Opcodes.Gotol)
                {
                    return (0, 0);
                }
                return ((ushort)(dst | bySource), 0);
        }
    }
}
