using Bpftime.Isa;

namespace Bpftime.Engines;

/// <summary>
/// One value range of a recognised compare tree and where it goes: slot <see cref="Target"/>, through
/// the budget check of the backward jump at <see cref="BackEdgeAt"/> when there is one (code that counts
/// pays for a taken backward branch, see <see cref="SwitchRecognizer"/>).
/// </summary>
internal readonly record struct SwitchArm(ulong Low, ulong High, int Target, int? BackEdgeAt)
{
    /// <summary>Values in the range: 1 to 2^64.</summary>
    public UInt128 Count => (UInt128)(High - Low) + 1;
}

/// <summary>
/// A tree of conditional jumps that compare one register with constants, rooted at the jump in slot
/// <see cref="Root"/>: <see cref="Arms"/> partition every value of the register (its low 32 bits when
/// <see cref="Narrow"/>) that it can hold into ranges, ascending, each with the leaf the tree reaches for it.
/// <see cref="Interior"/> are the other jumps of the tree, which no other path reaches.
/// </summary>
internal sealed record SwitchTree(int Root, int Register, bool Narrow, IReadOnlyList<SwitchArm> Arms, IReadOnlyList<int> Interior)
{
    /// <summary>The values the register can hold at the root, which the arms cover; the others go to the default.</summary>
    public (ulong Low, ulong High) Known { get; init; } = (0, ulong.MaxValue);

    /// <summary>
    /// The leaf (and back edge) that takes the most values, so that the others are few enough to list
    /// as cases; null when those would be more than <see cref="SwitchRecognizer.MaxCases"/>.
    /// </summary>
    public (int Target, int? BackEdgeAt)? Default
    {
        get
        {
            var best = Arms.GroupBy(a => (a.Target, a.BackEdgeAt))
                .Select(g => (g.Key, Count: g.Aggregate(UInt128.Zero, (sum, a) => sum + a.Count)))
                .OrderByDescending(g => g.Count).ThenBy(g => g.Key.Target).First();
            var total = (UInt128)(Known.High - Known.Low) + 1;
            return total - best.Count <= SwitchRecognizer.MaxCases ? best.Key : null;
        }
    }

    /// <summary>Every value that does not go to the default, with its leaf.</summary>
    public IEnumerable<(ulong Value, int Target, int? BackEdgeAt)> Cases()
    {
        var fallback = Default ?? throw new InvalidOperationException("the tree has too many cases for a switch");
        foreach (var arm in Arms.Where(a => (a.Target, a.BackEdgeAt) != fallback))
        {
            for (var value = arm.Low; ; value++)
            {
                yield return (value, arm.Target, arm.BackEdgeAt);
                if (value == arm.High)
                {
                    break;
                }
            }
        }
    }
}

/// <summary>
/// Finds the trees of compares that clang's eBPF back end makes of a C <c>switch</c> (eBPF has no
/// indirect jump), so that the LLVM IR can say <c>switch</c> again and the x86-64 jit can jump through
/// a table.
/// A tree is the root's jump plus every jump it reaches that is a block of that one instruction, on
/// the same register and width with a constant operand, and reached from nowhere else. Because no
/// interior instruction writes anything, the tree is exactly a map from the register's value to a
/// leaf; computing it as sets of value ranges keeps signed and unsigned compares exact.
/// Code that counts the budget may not have a backward jump inside the tree (its leaves may: the
/// switch then goes through the same budget check).
/// </summary>
internal static class SwitchRecognizer
{
    /// <summary>At most this many values may go elsewhere than the default.</summary>
    public const int MaxCases = 1024;

    /// <summary>Fewer compares than this stay compares: a jump table does not pay for them.</summary>
    public const int MinCompares = 3;

    private const int MaxNodes = 1024;

    /// <summary>
    /// A path through a tree may split the values into at most this many ranges (a balanced tree of
    /// 1,024 cases needs about a dozen); more gives up the tree, as each compare costs time in the
    /// ranges it splits and a chain of equalities would otherwise cost the square of its length.
    /// </summary>
    private const int MaxRanges = 32;

    /// <summary>The trees of the function spanning slots <paramref name="entry"/>..<paramref name="end"/>-1, by root slot.</summary>
    public static Dictionary<int, SwitchTree> Find(ReadOnlySpan<Instruction> code, int entry, int end, bool countsBudget)
    {
        // Edges into each slot, and the one jump that is a slot's only way in.
        var edges = new int[end - entry];
        var onlyFrom = new int[end - entry];
        Array.Fill(onlyFrom, -1);
        void Edge(int from, long to)
        {
            if (to >= entry && to < end)
            {
                edges[to - entry]++;
                onlyFrom[to - entry] = from;
            }
        }
        edges[0]++;
        for (var pc = entry; pc < end; pc++)
        {
            var insn = code[pc];
            if (insn.IsLoadImm64)
            {
                if (insn.Src == (byte)LoadImm64Source.CodeAddress)
                {
                    // A callback's entry is a way in, as is a local call's target below.
                    Edge(pc, (long)pc + 1 + insn.Imm);
                }
                Edge(pc, pc + 2);
                pc++;
                continue;
            }
            if (!insn.IsJump || insn.IsCall)
            {
                if (insn.IsLocalCall)
                {
                    Edge(pc, (long)pc + 1 + insn.Imm);
                }
                Edge(pc, pc + 1);
                continue;
            }
            if (insn.IsExit)
            {
                continue;
            }
            Edge(pc, BranchTarget(insn, pc));
            if (insn.JumpOperation != JumpOperation.Ja)
            {
                Edge(pc, pc + 1);
            }
        }

        // A compare's parent: the compare that is its only way in, on the same register and width.
        var parent = new Dictionary<int, int>();
        for (var pc = entry; pc < end; pc++)
        {
            if (IsCompare(code[pc]) && edges[pc - entry] == 1 && onlyFrom[pc - entry] is var from && from >= 0 && from != pc
                && IsCompare(code[from]) && code[from].Dst == code[pc].Dst && code[from].Class == code[pc].Class
                && !(countsBudget && pc <= from))
            {
                parent[pc] = from;
            }
        }

        var trees = new Dictionary<int, SwitchTree>();
        for (var pc = entry; pc < end; pc++)
        {
            if (!IsCompare(code[pc]) || parent.ContainsKey(pc))
            {
                continue;
            }
            var narrow = code[pc].Class == InstructionClass.Jmp32;
            var arms = new List<SwitchArm>();
            var interior = new List<int>();
            var known = KnownRange(code, entry, pc, edges, onlyFrom, narrow);
            if (!Walk(code, pc, [known], narrow, parent, arms, interior) || interior.Count + 1 < MinCompares)
            {
                continue;
            }
            if (!countsBudget)
            {
                // Only code that counts pays on backward jumps; for other code a back edge is an edge.
                arms = [.. arms.Select(a => a with { BackEdgeAt = null })];
            }
            arms.Sort((a, b) => a.Low.CompareTo(b.Low));
            var tree = new SwitchTree(pc, code[pc].Dst, narrow, arms, interior) { Known = known };
            if (tree.Default is not null)
            {
                trees[pc] = tree;
            }
        }
        return trees;
    }

    /// <summary>
    /// The values the root's register can hold when the root runs, from the instruction of its own
    /// block that last wrote it (clang's tree for <c>switch (x &amp; 63)</c> relies on <c>x &amp; 63</c> being
    /// at most 63, sending the impossible values anywhere). Every value when that is not plain.
    /// </summary>
    private static (ulong Low, ulong High) KnownRange(ReadOnlySpan<Instruction> code, int entry, int root, int[] edges, int[] onlyFrom, bool narrow)
    {
        var all = (0UL, narrow ? uint.MaxValue : ulong.MaxValue);
        var register = code[root].Dst;
        // Walk back while the slot after is reached only by falling through from the slot before it.
        for (var pc = root - 1; pc >= entry && edges[pc + 1 - entry] == 1 && onlyFrom[pc + 1 - entry] == pc; pc--)
        {
            var insn = code[pc];
            var writes = insn.Class switch
            {
                InstructionClass.Alu or InstructionClass.Alu64 or InstructionClass.Ldx => insn.Dst == register,
                InstructionClass.St => false,
                InstructionClass.Stx => insn.MemoryMode != MemoryMode.Mem,
                _ => true, // calls, ld_imm64 (and its second slot), anything else: give up
            };
            if (!writes)
            {
                continue;
            }
            ulong high = insn switch
            {
                { Class: InstructionClass.Alu64, AluOperation: AluOperation.And, Source: OperandSource.Immediate, Imm: >= 0 } => (ulong)insn.Imm,
                { Class: InstructionClass.Alu64, AluOperation: AluOperation.Rsh, Source: OperandSource.Immediate, Imm: > 0 and < 64 } => ulong.MaxValue >> insn.Imm,
                { Class: InstructionClass.Alu, AluOperation: AluOperation.And, Source: OperandSource.Immediate } => (uint)insn.Imm,
                { Class: InstructionClass.Alu, AluOperation: not AluOperation.End } => uint.MaxValue,
                { Class: InstructionClass.Ldx, MemoryMode: MemoryMode.Mem, MemorySize: MemorySize.Byte } => byte.MaxValue,
                { Class: InstructionClass.Ldx, MemoryMode: MemoryMode.Mem, MemorySize: MemorySize.Half } => ushort.MaxValue,
                { Class: InstructionClass.Ldx, MemoryMode: MemoryMode.Mem, MemorySize: MemorySize.Word } => uint.MaxValue,
                _ => ulong.MaxValue,
            };
            return (0, Math.Min(high, all.Item2));
        }
        return all;
    }

    /// <summary>Where a jump (not call or exit) goes: ja in the JMP32 class (gotol) takes imm, every other jump its offset.</summary>
    public static long BranchTarget(Instruction insn, int pc) =>
        insn.JumpOperation == JumpOperation.Ja && insn.Class == InstructionClass.Jmp32
            ? (long)pc + insn.Imm + 1
            : (long)pc + insn.Offset + 1;

    /// <summary>A conditional jump on a register against a constant (jset is not an ordering and ends a tree).</summary>
    public static bool IsCompare(Instruction insn) =>
        insn.IsJump && insn.Source == OperandSource.Immediate && insn.JumpOperation is JumpOperation.Jeq or JumpOperation.Jne
            or JumpOperation.Jgt or JumpOperation.Jge or JumpOperation.Jlt or JumpOperation.Jle
            or JumpOperation.Jsgt or JumpOperation.Jsge or JumpOperation.Jslt or JumpOperation.Jsle;

    /// <summary>
    /// Adds the arms and interior jumps of the tree at <paramref name="root"/>, whose register holds
    /// <paramref name="known"/>; false when the tree is too large to be a switch. A stack of pending
    /// nodes rather than recursion: a hostile program's tree may be 1,024 compares deep.
    /// </summary>
    private static bool Walk(ReadOnlySpan<Instruction> code, int root, List<(ulong Low, ulong High)> known, bool narrow,
        Dictionary<int, int> parent, List<SwitchArm> arms, List<int> interior)
    {
        var pending = new Stack<(int Pc, List<(ulong Low, ulong High)> Values)>();
        pending.Push((root, known));
        while (pending.TryPop(out var node))
        {
            var (pc, values) = node;
            if (interior.Count >= MaxNodes || values.Count > MaxRanges)
            {
                return false;
            }
            var insn = code[pc];
            var holds = Satisfying(insn, narrow);
            var taken = (int)BranchTarget(insn, pc);
            Follow(pc, taken, Intersect(values, holds), backward: taken <= pc);
            Follow(pc, pc + 1, Subtract(values, holds), backward: false);
        }
        return true;

        void Follow(int from, int to, List<(ulong Low, ulong High)> values, bool backward)
        {
            if (values.Count == 0)
            {
                // No value takes this edge; a child reached only through it stays out of the switch (unreachable).
                return;
            }
            if (parent.TryGetValue(to, out var p) && p == from)
            {
                interior.Add(to);
                pending.Push((to, values));
                return;
            }
            foreach (var (low, high) in values)
            {
                arms.Add(new SwitchArm(low, high, to, backward ? from : null));
            }
        }
    }

    /// <summary>The values (as unsigned ranges of the compared width) for which the jump is taken.</summary>
    public static List<(ulong Low, ulong High)> Satisfying(Instruction insn, bool narrow)
    {
        var max = narrow ? uint.MaxValue : ulong.MaxValue;
        var c = narrow ? (uint)insn.Imm : (ulong)(long)insn.Imm;
        List<(ulong, ulong)> All() => [(0, max)];
        List<(ulong, ulong)> AtLeast(ulong low) => [(low, max)];
        List<(ulong, ulong)> AtMost(ulong high) => [(0, high)];
        List<(ulong, ulong)> None() => [];
        // Signed order is unsigned order with the sign bit flipped: flip, take the unsigned range, flip back.
        var sign = narrow ? 0x8000_0000UL : 0x8000_0000_0000_0000UL;
        List<(ulong, ulong)> Signed(List<(ulong Low, ulong High)> biased) => FlipSign(biased, sign, max);
        var s = c ^ sign;
        return insn.JumpOperation switch
        {
            JumpOperation.Jeq => [(c, c)],
            JumpOperation.Jne => Subtract(All(), [(c, c)]),
            JumpOperation.Jgt => c == max ? None() : AtLeast(c + 1),
            JumpOperation.Jge => AtLeast(c),
            JumpOperation.Jlt => c == 0 ? None() : AtMost(c - 1),
            JumpOperation.Jle => AtMost(c),
            JumpOperation.Jsgt => Signed(s == max ? None() : AtLeast(s + 1)),
            JumpOperation.Jsge => Signed(AtLeast(s)),
            JumpOperation.Jslt => Signed(s == 0 ? None() : AtMost(s - 1)),
            JumpOperation.Jsle => Signed(AtMost(s)),
            _ => throw new ArgumentException($"{insn} is not a compare with a constant", nameof(insn)),
        };
    }

    private static List<(ulong Low, ulong High)> FlipSign(List<(ulong Low, ulong High)> ranges, ulong sign, ulong max)
    {
        var flipped = new List<(ulong Low, ulong High)>();
        foreach (var (low, high) in ranges)
        {
            // Split at the sign boundary; each half maps to one range of the other half.
            if (low < sign)
            {
                var top = Math.Min(high, sign - 1);
                flipped.Add((low | sign, top | sign));
            }
            if (high >= sign)
            {
                var bottom = Math.Max(low, sign);
                flipped.Add((bottom & ~sign & max, high & ~sign & max));
            }
        }
        flipped.Sort((a, b) => a.Low.CompareTo(b.Low));
        return flipped;
    }

    /// <summary>Intersection of two ascending lists of disjoint inclusive ranges.</summary>
    public static List<(ulong Low, ulong High)> Intersect(List<(ulong Low, ulong High)> a, List<(ulong Low, ulong High)> b)
    {
        var result = new List<(ulong Low, ulong High)>();
        foreach (var (al, ah) in a)
        {
            foreach (var (bl, bh) in b)
            {
                var low = Math.Max(al, bl);
                var high = Math.Min(ah, bh);
                if (low <= high)
                {
                    result.Add((low, high));
                }
            }
        }
        result.Sort((x, y) => x.Low.CompareTo(y.Low));
        return result;
    }

    /// <summary>The values of <paramref name="a"/> that are not in <paramref name="b"/>.</summary>
    public static List<(ulong Low, ulong High)> Subtract(List<(ulong Low, ulong High)> a, List<(ulong Low, ulong High)> b)
    {
        var result = a;
        foreach (var (bl, bh) in b)
        {
            var next = new List<(ulong Low, ulong High)>();
            foreach (var (low, high) in result)
            {
                if (bh < low || bl > high)
                {
                    next.Add((low, high));
                    continue;
                }
                if (bl > low)
                {
                    next.Add((low, bl - 1));
                }
                if (bh < high)
                {
                    next.Add((bh + 1, high));
                }
            }
            result = next;
        }
        return result;
    }
}
