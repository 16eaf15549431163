using Bpftime.Isa;

namespace Bpftime.Tests;

/// <summary>
/// Compare trees on r2 as clang's eBPF back end lays out a C <c>switch</c>, and the values worth
/// trying on them: the programs every engine's switch tests run against the interpreter.
/// </summary>
internal static class SwitchPrograms
{
    public static Instruction Jump(JumpOperation op, int dst, int imm, int offset, bool narrow = false) =>
        new(Opcodes.Jump(narrow ? InstructionClass.Jmp32 : InstructionClass.Jmp, op, OperandSource.Immediate), (byte)dst, 0, (short)offset, imm);

    public static Instruction Ja(int offset) => new(Opcodes.Ja, 0, 0, (short)offset, 0);

    private static Instruction Mov64(int dst, int imm) => new(0xb7, (byte)dst, 0, 0, imm);

    private static Instruction Mov64Reg(int dst, int src) => new(0xbf, (byte)dst, (byte)src, 0, 0);

    private static Instruction Add64(int dst, int imm) => new(0x07, (byte)dst, 0, 0, imm);

    private static Instruction Exit() => new(Opcodes.Exit, 0, 0, 0, 0);

    /// <summary>
    /// r2 in 0..7 by a balanced tree (as clang lays out a switch: fall-through first), r0 = 10 + r2;
    /// every other value reaches slot 24.
    /// </summary>
    public static Instruction[] Balanced(JumpOperation greater = JumpOperation.Jgt, bool narrow = false) =>
    [
        Jump(JumpOperation.Jgt, 2, 7, 23, narrow),    // 0: > 7 -> 24
        Jump(greater, 2, 3, 11, narrow),              // 1: > 3 -> 13
        Jump(greater, 2, 1, 5, narrow),               // 2: > 1 -> 8
        Jump(JumpOperation.Jeq, 2, 0, 2, narrow),     // 3: == 0 -> 6
        Mov64(0, 11), Exit(),                         // 4, 5
        Mov64(0, 10), Exit(),                         // 6, 7
        Jump(JumpOperation.Jeq, 2, 2, 2, narrow),     // 8: == 2 -> 11
        Mov64(0, 13), Exit(),                         // 9, 10
        Mov64(0, 12), Exit(),                         // 11, 12
        Jump(greater, 2, 5, 5, narrow),               // 13: > 5 -> 19
        Jump(JumpOperation.Jeq, 2, 4, 2, narrow),     // 14: == 4 -> 17
        Mov64(0, 15), Exit(),                         // 15, 16
        Mov64(0, 14), Exit(),                         // 17, 18
        Jump(JumpOperation.Jeq, 2, 6, 2, narrow),     // 19: == 6 -> 22
        Mov64(0, 17), Exit(),                         // 20, 21
        Mov64(0, 16), Exit(),                         // 22, 23
        Mov64(0, 99), Exit(),                         // 24, 25
    ];

    /// <summary>
    /// A loop: r2 &gt;&gt;= 1 at slot 1 and a tree at 3 whose leaves 5 and 7 jump back to it; the compare
    /// at 9 is reached by the tree's backward jump at 12. r0 counts the rounds.
    /// </summary>
    public static Instruction[] LoopTree() =>
    [
        Mov64(0, 0),
        new(0x77, 2, 0, 0, 1),                      // 1: r2 >>= 1
        Add64(0, 1),                                // 2
        Jump(JumpOperation.Jgt, 2, 40, 8),          // 3: > 40 -> 12
        Jump(JumpOperation.Jgt, 2, 20, 2),          // 4: > 20 -> 7
        Jump(JumpOperation.Jeq, 2, 3, -5),          // 5: == 3 -> 1
        Exit(),                                     // 6
        Jump(JumpOperation.Jeq, 2, 30, -7),         // 7: == 30 -> 1
        Exit(),                                     // 8
        Jump(JumpOperation.Jlt, 2, 100, -9),        // 9: < 100 -> 1
        Exit(),                                     // 10
        Exit(),                                     // 11
        Jump(JumpOperation.Jgt, 2, 60, -4),         // 12: > 60 -> 9
        Exit(),                                     // 13
    ];

    /// <summary>Values on both sides of every boundary of the widths and signs a compare can have.</summary>
    public static readonly ulong[] Probes =
    [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 63, 64, 0x7fff_ffff, 0x8000_0000, 0x8000_0001, 0xffff_ffff, 0x1_0000_0000, 0x1_0000_0003,
        0x7fff_ffff_ffff_ffff, 0x8000_0000_0000_0000, 0xffff_ffff_ffff_fff9, 0xffff_ffff_ffff_fffe, ulong.MaxValue,
    ];

    /// <summary>
    /// A random compare tree on r2 laid out as clang does (fall-through subtree first): random widths,
    /// signedness and constants, leaves that are fresh blocks or shared ones (r0 = r2 * k + leaf),
    /// sometimes a leaf that changes r2 before another compare, and sometimes a jump from the first
    /// slot into the middle of the tree.
    /// </summary>
    public static (Instruction[] Code, List<ulong> Constants) RandomTree(Random random)
    {
        JumpOperation[] operations = [JumpOperation.Jeq, JumpOperation.Jne, JumpOperation.Jgt, JumpOperation.Jge, JumpOperation.Jlt,
            JumpOperation.Jle, JumpOperation.Jsgt, JumpOperation.Jsge, JumpOperation.Jslt, JumpOperation.Jsle];
        int[] interesting = [0, 1, -1, 2, 7, 63, 64, int.MaxValue, int.MinValue, -64];
        var constants = new List<ulong>();
        var code = new List<Instruction>();
        var shared = new List<int>();              // jump slots to patch to the shared leaves
        var sharedTarget = new List<int>();
        var narrowTree = random.Next(4) == 0;
        var sideEntry = random.Next(3) == 0;
        code.Add(Mov64(0, 0));
        if (sideEntry)
        {
            code.Add(Jump(JumpOperation.Jeq, 2, 5, 0)); // patched to a node of the tree below
        }
        var nodes = new List<int>();
        var leafId = 0;
        void Leaf()
        {
            var id = ++leafId;
            if (random.Next(4) == 0)
            {
                code.Add(Add64(2, 1)); // the value changes: what follows is not part of the tree
                code.Add(Jump(JumpOperation.Jgt, 2, 5, 2, narrowTree));
            }
            code.Add(Mov64Reg(0, 2));
            code.Add(new Instruction(0x27, 0, 0, 0, id * 7 + 3)); // r0 *= k
            code.Add(Add64(0, id));
            code.Add(Exit());
        }
        void Node(int depth)
        {
            if (depth == 0 || (depth < 3 && random.Next(4) == 0))
            {
                Leaf();
                return;
            }
            var c = random.Next(3) == 0 ? interesting[random.Next(interesting.Length)] : random.Next(-4, 80);
            constants.Add(narrowTree ? (uint)c : (ulong)(long)c);
            var narrow = narrowTree ^ (random.Next(12) == 0);
            var at = code.Count;
            nodes.Add(at);
            code.Add(Jump(operations[random.Next(operations.Length)], 2, c, 0, narrow));
            Node(depth - 1);
            if (random.Next(5) == 0)
            {
                shared.Add(at);
                sharedTarget.Add(random.Next(2));
                return;
            }
            var insn = code[at];
            code[at] = new Instruction(insn.Opcode, insn.Dst, insn.Src, (short)(code.Count - at - 1), insn.Imm);
            Node(depth - 1);
        }
        Node(random.Next(3, 7));
        var sharedStart = code.Count;
        code.Add(Mov64(0, 1000)); code.Add(Exit());
        code.Add(Mov64(0, 2000)); code.Add(Exit());
        for (var i = 0; i < shared.Count; i++)
        {
            var insn = code[shared[i]];
            code[shared[i]] = new Instruction(insn.Opcode, insn.Dst, insn.Src, (short)(sharedStart + 2 * sharedTarget[i] - shared[i] - 1), insn.Imm);
        }
        if (sideEntry && nodes.Count > 1)
        {
            var into = nodes[random.Next(1, nodes.Count)];
            code[1] = Jump(JumpOperation.Jeq, 2, 5, into - 2);
        }
        else if (sideEntry)
        {
            code[1] = Jump(JumpOperation.Jeq, 2, 5, 0);
        }
        return ([.. code], constants);
    }
}
