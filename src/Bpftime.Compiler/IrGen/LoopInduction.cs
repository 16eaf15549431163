using Bpftime.Isa;

namespace Bpftime.Compiler.IrGen;

/// <summary>
/// A load or store of a loop whose address, at every iteration, is
/// <c>Σ invariants + Σ inductions + <see cref="Constant"/></c> with the values the registers hold as
/// the iteration starts, so that iteration j of a strip accesses <c>start + j · <see cref="Stride"/></c>.
/// </summary>
/// <param name="Invariants">A bit per register the loop never writes summed into the address.</param>
/// <param name="Inductions">A bit per induction register summed into the address.</param>
/// <param name="Constant">Every constant added on the way, the access's offset included (wrapping).</param>
/// <param name="Stride">What the address moves by per iteration: the sum of the inductions' steps.</param>
/// <param name="Size">The access's size in bytes.</param>
internal readonly record struct StridedAccess(int Invariants, int Inductions, long Constant, long Stride, int Size);

/// <summary>
/// A loop checked code runs in strips (see <c>FunctionEmitter.ChunkGuards</c>): the slots of
/// <see cref="Body"/>, entered only at <see cref="Header"/>, with no call or atomic inside and no
/// cycle that avoids the header; and the accesses whose addresses move by a fixed stride per iteration.
/// </summary>
internal sealed class StripLoop(int header, int first, int last, HashSet<int> body, int backEdgesPerIteration,
    IReadOnlyDictionary<int, StridedAccess> accesses)
{
    public int Header { get; } = header;

    /// <summary>The lowest slot of the body.</summary>
    public int First { get; } = first;

    /// <summary>The highest slot of the body.</summary>
    public int Last { get; } = last;

    public HashSet<int> Body { get; } = body;

    /// <summary>The most backward jumps (each spends a unit of budget) one iteration can take.</summary>
    public int BackEdgesPerIteration { get; } = backEdgesPerIteration;

    /// <summary>The strided accesses by slot.</summary>
    public IReadOnlyDictionary<int, StridedAccess> Accesses { get; } = accesses;
}

/// <summary>
/// Finds the loops of a function whose accesses can be tested once for a strip of iterations.
/// Deliberately narrow: a loop qualifies only when its shape makes the symbolic walk exact, and an
/// access qualifies only when its address is a sum of invariant and induction registers plus a constant.
/// An induction register is written once in the loop, by a 64-bit <c>r += imm</c> on a slot every path
/// from the header back to it passes (the body is acyclic apart from the edges into the header), so
/// each completed iteration adds its step exactly once.
/// </summary>
internal static class LoopInduction
{
    /// <summary>A loop's slots lie within this distance of its header; longer loops are left alone.</summary>
    private const int MaxLoopSlots = 512;

    /// <summary>Slots visited looking for loops in one function, after which the search stops (huge programs).</summary>
    private const int MaxSearchVisits = 1_000_000;

    /// <summary>
    /// The largest |stride| an access may have, so that a strip's span, (strip - 1) · stride + size,
    /// stays far from overflowing for any strip length the emitter uses.
    /// </summary>
    public const long MaxStride = 4096;

    private const int RegisterCount = 11;

    /// <summary>Σ registers in the masks (each once) + constant; the value of a register, or of an address.</summary>
    private readonly record struct Linear(int Invariants, int Inductions, long Constant);

    public static Dictionary<int, StripLoop> Find(Instruction[] code, int entry, int end, int stackSize)
    {
        // A cycle through a slot crosses it with a backward jump, so headers lie under their spans.
        var candidates = new SortedSet<int>();
        for (var pc = entry; pc < end; pc += Width(code[pc]))
        {
            var insn = code[pc];
            if (IsBranch(insn) && ProgramLayout.BranchTarget(insn, pc) is var target && target <= pc && target >= entry
                && pc - target < MaxLoopSlots)
            {
                for (var slot = (int)target; slot <= pc; slot++)
                {
                    candidates.Add(slot);
                }
            }
        }
        // Every slot's predecessors in the function (a slot is an instruction's first).
        var predecessors = new Dictionary<int, List<int>>();
        for (var pc = entry; pc < end; pc += Width(code[pc]))
        {
            foreach (var next in Successors(code, pc))
            {
                if (!predecessors.TryGetValue(next, out var list))
                {
                    predecessors[next] = list = [];
                }
                list.Add(pc);
            }
        }
        var starts = new HashSet<int>();
        for (var pc = entry; pc < end; pc += Width(code[pc]))
        {
            starts.Add(pc);
        }
        var loops = new Dictionary<int, StripLoop>();
        var taken = new List<(int First, int Last)>();
        var visits = 0;
        foreach (var header in candidates)
        {
            // A header has a way in and a way back (the function's first slot has the call as its way in).
            var ways = predecessors.GetValueOrDefault(header)?.Count ?? 0;
            if (visits > MaxSearchVisits || ways < (header == entry ? 1 : 2)
                || taken.Any(range => header >= range.First && header <= range.Last) || !starts.Contains(header))
            {
                continue;
            }
            var body = Body(code, entry, end, header, predecessors, ref visits);
            if (body is null || taken.Any(range => body.Min() <= range.Last && body.Max() >= range.First))
            {
                continue;
            }
            if (Analyze(code, header, body, stackSize) is { } loop)
            {
                loops[header] = loop;
                taken.Add((loop.First, loop.Last));
            }
        }
        return loops;
    }

    private static bool IsBranch(Instruction insn) =>
        insn.IsJump && !insn.IsCall && !insn.IsExit;

    private static int Width(Instruction insn) => insn.IsLoadImm64 ? 2 : 1;

    /// <summary>The slots control goes to from <paramref name="pc"/>.</summary>
    private static IEnumerable<int> Successors(Instruction[] code, int pc)
    {
        var insn = code[pc];
        if (insn.IsExit)
        {
            yield break;
        }
        if (IsBranch(insn))
        {
            yield return (int)ProgramLayout.BranchTarget(insn, pc);
            if (insn.JumpOperation == JumpOperation.Ja)
            {
                yield break;
            }
        }
        yield return pc + Width(insn);
    }

    /// <summary>Whether the edge from <paramref name="pc"/> to <paramref name="next"/> is a jump that spends a unit of budget.</summary>
    private static bool Spends(Instruction[] code, int pc, int next) => IsBranch(code[pc]) && next <= pc;

    /// <summary>
    /// The natural loop of <paramref name="header"/>: for each edge back to it that keeps the loop
    /// valid, the header and the slots reaching that edge without passing the header; null when
    /// there is none. Valid: the header is the body's only entry from anywhere in the function, no
    /// slot is a call, an atomic or a legacy packet load, and no cycle avoids the header. Slots are
    /// looked for within a window around the header: a cycle that leaves it comes back into the body
    /// at a slot other than the header (refused) or at the header (an entry: the guard runs again),
    /// so the window costs no soundness.
    /// </summary>
    private static HashSet<int>? Body(Instruction[] code, int entry, int end, int header, Dictionary<int, List<int>> predecessors, ref int visits)
    {
        var low = Math.Max(entry, header - MaxLoopSlots);
        var high = Math.Min(end, header + MaxLoopSlots);
        bool Inside(int pc) => pc >= low && pc < high;
        visits += high - low;
        var forward = Reach(header, pc => Successors(code, pc).Where(Inside));
        var union = new HashSet<int>();
        foreach (var latch in (predecessors.GetValueOrDefault(header) ?? []).Where(forward.Contains))
        {
            visits += high - low;
            var body = Reach(latch, pc => pc == header ? [] : (predecessors.GetValueOrDefault(pc) ?? []).Where(Inside));
            body.IntersectWith(forward);
            body.Add(header);
            if (IsValidBody(code, header, body, predecessors))
            {
                union.UnionWith(body);
            }
        }
        return union.Count > 0 && IsValidBody(code, header, union, predecessors) ? union : null;
    }

    private static bool IsValidBody(Instruction[] code, int header, HashSet<int> body, Dictionary<int, List<int>> predecessors)
    {
        foreach (var pc in body)
        {
            var insn = code[pc];
            // Malformed slots (the emitter reports them) are not looked into.
            if (insn.IsCall
                || (insn.Class == InstructionClass.Stx && insn.MemoryMode == MemoryMode.Atomic)
                || (insn.Class == InstructionClass.Ld && !insn.IsLoadImm64)
                || insn.Dst >= RegisterCount || insn.Src >= RegisterCount
                || (insn.IsLoadImm64 && pc + 1 >= code.Length))
            {
                return false;
            }
            // Every way in from outside the body is to the header.
            if (pc != header && (predecessors.GetValueOrDefault(pc) ?? []).Any(from => !body.Contains(from)))
            {
                return false;
            }
        }
        return TopologicalOrder(code, header, body) is not null;
    }

    private static HashSet<int> Reach(int start, Func<int, IEnumerable<int>> edges)
    {
        var seen = new HashSet<int> { start };
        var work = new Stack<int>();
        work.Push(start);
        while (work.Count > 0)
        {
            foreach (var next in edges(work.Pop()))
            {
                if (seen.Add(next))
                {
                    work.Push(next);
                }
            }
        }
        return seen;
    }

    /// <summary>The body from the header on, each slot after every slot that leads to it; null when a cycle avoids the header.</summary>
    private static List<int>? TopologicalOrder(Instruction[] code, int header, HashSet<int> body)
    {
        var incoming = body.ToDictionary(pc => pc, _ => 0);
        foreach (var pc in body)
        {
            foreach (var next in Successors(code, pc).Where(n => n != header && body.Contains(n)))
            {
                incoming[next]++;
            }
        }
        var order = new List<int>();
        var ready = new Stack<int>();
        ready.Push(header);
        while (ready.Count > 0)
        {
            var pc = ready.Pop();
            order.Add(pc);
            foreach (var next in Successors(code, pc).Where(n => n != header && body.Contains(n)))
            {
                if (--incoming[next] == 0)
                {
                    ready.Push(next);
                }
            }
        }
        return order.Count == body.Count ? order : null;
    }

    /// <summary>The register an instruction writes, or -1 (calls and atomics are not in the loops looked at).</summary>
    private static int Written(Instruction insn) =>
        insn.IsAlu || insn.Class == InstructionClass.Ldx || insn.IsLoadImm64 ? insn.Dst : -1;

    private static bool IsStep(Instruction insn) =>
        insn.Class == InstructionClass.Alu64 && insn.AluOperation == AluOperation.Add && insn.Source == OperandSource.Immediate;

    private static StripLoop? Analyze(Instruction[] code, int header, HashSet<int> body, int stackSize)
    {
        var order = TopologicalOrder(code, header, body)!;
        var writes = new int[RegisterCount];
        var writer = new int[RegisterCount];
        foreach (var pc in body)
        {
            var register = Written(code[pc]);
            if (register is >= 0 and < RegisterCount)
            {
                writes[register]++;
                writer[register] = pc;
            }
        }
        var entryState = new Linear?[RegisterCount];
        var steps = new long[RegisterCount];
        for (var r = 0; r < RegisterCount; r++)
        {
            if (writes[r] == 0)
            {
                entryState[r] = new Linear(1 << r, 0, 0);
            }
            else if (writes[r] == 1 && IsStep(code[writer[r]]) && EveryIterationPasses(code, header, body, order, writer[r]))
            {
                entryState[r] = new Linear(0, 1 << r, 0);
                steps[r] = code[writer[r]].Imm;
            }
        }

        // The symbolic walk, in an order where every slot comes after the slots that lead to it.
        var states = new Dictionary<int, Linear?[]> { [header] = entryState };
        var spent = new Dictionary<int, int> { [header] = 0 };
        var backEdges = 0;
        var accesses = new Dictionary<int, StridedAccess>();
        foreach (var pc in order)
        {
            var state = states[pc];
            var insn = code[pc];
            // r10 + offset inside the frame is never checked (FunctionEmitter.Address).
            if (MemoryOperand(insn) is var (register, size) && state[register] is { } address
                && !(register == 10 && insn.Offset >= -stackSize && insn.Offset + size <= 0))
            {
                long stride = 0;
                for (var r = 0; r < RegisterCount; r++)
                {
                    if ((address.Inductions & (1 << r)) != 0)
                    {
                        stride += steps[r];
                    }
                }
                if (Math.Abs(stride) <= MaxStride)
                {
                    accesses[pc] = new StridedAccess(address.Invariants, address.Inductions, unchecked(address.Constant + insn.Offset), stride, size);
                }
            }
            var after = Step(insn, code, pc, state);
            foreach (var next in Successors(code, pc).Distinct())
            {
                var cost = spent[pc] + (Spends(code, pc, next) ? 1 : 0);
                if (next == header)
                {
                    backEdges = Math.Max(backEdges, cost);
                    continue;
                }
                if (!body.Contains(next))
                {
                    continue;
                }
                spent[next] = Math.Max(spent.GetValueOrDefault(next), cost);
                if (!states.TryGetValue(next, out var merged))
                {
                    states[next] = (Linear?[])after.Clone();
                    continue;
                }
                for (var r = 0; r < RegisterCount; r++)
                {
                    if (merged[r] != after[r])
                    {
                        merged[r] = null;
                    }
                }
            }
        }
        var moving = accesses.Values.Any(a => a.Inductions != 0);
        return moving ? new StripLoop(header, body.Min(), body.Max(), body, backEdges, accesses) : null;
    }
    /// <summary>The address register and size of a load or store; null for anything else.</summary>
    private static (int Register, int Size)? MemoryOperand(Instruction insn) => insn.Class switch
    {
        InstructionClass.Ldx when insn.MemoryMode is MemoryMode.Mem or MemoryMode.MemSx => (insn.Src, insn.MemorySize.ByteCount()),
        InstructionClass.St or InstructionClass.Stx when insn.MemoryMode == MemoryMode.Mem => (insn.Dst, insn.MemorySize.ByteCount()),
        _ => null,
    };

    private static Linear?[] Step(Instruction insn, Instruction[] code, int pc, Linear?[] state)
    {
        var register = Written(insn);
        if (register is < 0 or >= RegisterCount)
        {
            return state;
        }
        var after = (Linear?[])state.Clone();
        after[register] = null;
        if (insn.IsLoadImm64 && (LoadImm64Source)insn.Src == LoadImm64Source.Immediate)
        {
            after[register] = new Linear(0, 0, insn.Imm64With(code[pc + 1]));
        }
        else if (insn.Class == InstructionClass.Alu64)
        {
            var immediate = insn.Source == OperandSource.Immediate;
            var source = immediate ? new Linear(0, 0, insn.Imm) : state[insn.Src];
            after[register] = (insn.AluOperation, insn.Offset) switch
            {
                (AluOperation.Mov, 0) => source,
                (AluOperation.Add, _) => Sum(state[register], source),
                (AluOperation.Sub, _) when immediate => state[register] is { } value ? value with { Constant = unchecked(value.Constant - insn.Imm) } : null,
                _ => null,
            };
        }
        return after;
    }

    private static Linear? Sum(Linear? left, Linear? right)
    {
        if (left is not { } a || right is not { } b || (a.Invariants & b.Invariants) != 0 || (a.Inductions & b.Inductions) != 0)
        {
            return null;
        }
        return new Linear(a.Invariants | b.Invariants, a.Inductions | b.Inductions, unchecked(a.Constant + b.Constant));
    }

    /// <summary>Whether every path from the header back to it passes <paramref name="step"/>.</summary>
    private static bool EveryIterationPasses(Instruction[] code, int header, HashSet<int> body, List<int> order, int step)
    {
        if (step == header)
        {
            return true;
        }
        var reached = new HashSet<int> { header };
        foreach (var pc in order)
        {
            if (!reached.Contains(pc) || pc == step)
            {
                continue;
            }
            foreach (var next in Successors(code, pc))
            {
                if (next == header)
                {
                    return false;
                }
                if (body.Contains(next))
                {
                    reached.Add(next);
                }
            }
        }
        return true;
    }
}
