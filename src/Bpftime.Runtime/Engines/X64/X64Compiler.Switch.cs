namespace Bpftime.Engines.X64;

/// <summary>
/// Compare trees on one register (clang's lowering of a C <c>switch</c>, see <see cref="SwitchRecognizer"/>)
/// become one bounds check and an indirect jump through a table of 32-bit offsets after the code.
/// </summary>
internal sealed partial class X64Compiler
{
    /// <summary>Fewer cases than this stay compares: a table does not pay for them (LLVM's threshold too).</summary>
    public const int MinTableCases = 4;

    /// <summary>A table may have at most this many entries per case: at least 10% dense, as LLVM asks.</summary>
    public const int MaxTableEntriesPerCase = 10;

    /// <summary>
    /// A table may have at most this many entries (64 bytes) per compare of its tree, about what the
    /// compares' own code takes: a few compares that split a wide range stay cheaper than a large
    /// table, and a hostile program cannot make much more table than code.
    /// </summary>
    public const int MaxTableEntriesPerCompare = 16;

    /// <summary>The trees that get a table, by root, with their cases (<see cref="PlanSwitchTables"/>).</summary>
    private readonly Dictionary<int, (SwitchTree Tree, List<(ulong Value, int Target, int? BackEdgeAt)> Cases)> _tables = [];
    private readonly List<SwitchTable> _switchTables = [];

    /// <summary>A table to emit after the code: one destination per value from the lowest case up.</summary>
    private readonly record struct SwitchTable(X64Label Label, X64Label[] Destinations);

    /// <summary>
    /// At the root of a recognised tree that is dense enough: the jump through a table. The value (its
    /// low 32 bits when the tree compares 32-bit) less the lowest case indexes the table after an
    /// unsigned bounds check, so every value outside it, whatever its upper bits or sign, goes to the
    /// default. A leaf the tree reaches by a backward jump is reached through a stub that spends the
    /// budget as that jump did, faulting at its slot. The interior jumps are still emitted where they
    /// stand, unreached: nothing else jumps into a tree.
    /// </summary>
    private bool TryEmitSwitch(int i)
    {
        if (!_tables.TryGetValue(i, out var planned))
        {
            return false;
        }
        var (tree, cases) = planned;
        var low = cases[0].Value;
        var entries = (UInt128)(cases[^1].Value - low) + 1;

        var stubs = new Dictionary<(int Target, int At), X64Label>();
        X64Label Destination(int target, int? backEdgeAt)
        {
            if (backEdgeAt is not { } at)
            {
                return _instructionLabels[target];
            }
            if (!stubs.TryGetValue((target, at), out var stub))
            {
                stub = _asm.CreateLabel();
                stubs[(target, at)] = stub;
            }
            return stub;
        }
        var (defaultTarget, defaultBackEdge) = tree.Default!.Value;
        var fallback = Destination(defaultTarget, defaultBackEdge);
        var destinations = new X64Label[(int)entries];
        Array.Fill(destinations, fallback);
        foreach (var (value, target, backEdgeAt) in cases)
        {
            destinations[(int)(value - low)] = Destination(target, backEdgeAt);
        }
        var table = _asm.CreateLabel();
        _switchTables.Add(new SwitchTable(table, destinations));

        // A 32-bit move and subtraction clear the upper half, so the index is the low 32 bits less the lowest case.
        var width = tree.Narrow ? X64Width.Dword : X64Width.Qword;
        _asm.Mov(width, Scratch, Host((byte)tree.Register));
        if (low != 0)
        {
            _asm.Alu(X64AluOperation.Sub, width, Scratch, (int)low);
        }
        _asm.Alu(X64AluOperation.Cmp, width, Scratch, destinations.Length - 1);
        _asm.Jcc(X64Condition.Above, fallback);
        _asm.LeaLabel(Scratch2, table);
        _asm.LoadSignExtendedScaled4(Scratch, Scratch2, Scratch);
        _asm.Alu(X64AluOperation.Add, X64Width.Qword, Scratch, Scratch2);
        _asm.JmpRegister(Scratch);
        foreach (var ((target, at), stub) in stubs)
        {
            _asm.Bind(stub);
            SpendBudget(at);
            _asm.Jmp(_instructionLabels[target]);
        }
        return true;
    }

    /// <summary>
    /// Before emission: the trees this program has, and every instruction a table will jump to marked
    /// as a jump target. A leaf the tree reached by falling through one of its compares is entered
    /// straight from the table, so no fused sequence (a select, a fused move) may swallow it.
    /// </summary>
    private void PlanSwitchTables()
    {
        foreach (var (root, tree) in SwitchRecognizer.Find(_code, 0, _code.Length, _countsBudget))
        {
            if (TableCases(tree) is not { } cases)
            {
                continue;
            }
            _tables[root] = (tree, cases);
            foreach (var arm in tree.Arms)
            {
                _isJumpTarget[arm.Target] = true;
            }
        }
    }

    /// <summary>The tree's cases, ascending, when it is dense enough for a table; else null.</summary>
    private static List<(ulong Value, int Target, int? BackEdgeAt)>? TableCases(SwitchTree tree)
    {
        var cases = tree.Cases().ToList();
        if (cases.Count < MinTableCases)
        {
            return null;
        }
        // Cases come ascending (the arms are sorted and each is walked upwards).
        var low = cases[0].Value;
        var entries = (UInt128)(cases[^1].Value - low) + 1;
        // The lowest case is subtracted as a 32-bit immediate, sign-extended at 64 bits. A 64-bit tree's
        // cases lie within a few values of its sign-extended 32-bit constants, so this always holds.
        if (entries > (UInt128)cases.Count * MaxTableEntriesPerCase || entries > (UInt128)(tree.Interior.Count + 1) * MaxTableEntriesPerCompare
            || !(tree.Narrow || X64Assembler.FitsInInt32((long)low)))
        {
            return null;
        }
        return cases;
    }

    /// <summary>The tables, after the code: each entry the distance from its table's start to the destination.</summary>
    private void EmitSwitchTables()
    {
        foreach (var table in _switchTables)
        {
            _asm.Align(4);
            _asm.Bind(table.Label);
            var start = _asm.PositionOf(table.Label);
            foreach (var destination in table.Destinations)
            {
                _asm.Emit32(_asm.PositionOf(destination) - start);
            }
        }
    }
}
