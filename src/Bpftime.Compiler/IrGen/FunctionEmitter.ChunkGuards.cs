using Bpftime.Compiler.Llvm;
using Bpftime.Diagnostics;

namespace Bpftime.Compiler.IrGen;

/// <summary>
/// Checked loops in strips. At the head of a loop <see cref="LoopInduction"/> found, a guard tests
/// whether every strided access stays, for the next <see cref="StripLength"/> iterations, inside the
/// context or the live frames, and whether the budget has that many back edges left. If so, a copy of
/// the body without those accesses' checks runs up to that many iterations, spending the budget
/// without testing it; otherwise the checked body runs, and comes back to the guard after as many
/// iterations (so a loop over memory the guard does not know, a map value, pays for it once a strip).
/// A strip that could fault anywhere runs checked, so a fault still happens at its instruction after
/// exactly the stores before it, and the budget stays exact (each copy spends one unit per backward
/// jump).
/// </summary>
internal sealed partial class FunctionEmitter
{
    /// <summary>Iterations one guard admits. With |stride| at most <see cref="LoopInduction.MaxStride"/> a span stays below 2^18 bytes.</summary>
    private const int StripLength = 32;

    private LLVMValueRef _contextLength;
    private LLVMValueRef _stackLength;
    private Dictionary<int, StripLoop>? _stripLoops;
    private LLVMValueRef _stripLeft;

    /// <summary>The loop whose unchecked copy is being emitted, or null.</summary>
    private StripLoop? _stripLoop;

    /// <summary>Where that copy's header instruction starts.</summary>
    private LLVMBasicBlockRef _stripHead;

    /// <summary>That copy's backward jumps inside the body, by target: spend a unit untested.</summary>
    private readonly Dictionary<int, LLVMBasicBlockRef> _stripSpends = [];

    /// <summary>The strip loop each body slot belongs to.</summary>
    private readonly Dictionary<int, StripLoop> _stripLoopOf = [];

    /// <summary>Per strip loop header: its guard, the block the header's slot starts.</summary>
    private readonly Dictionary<int, LLVMBasicBlockRef> _guards = [];

    /// <summary>Per strip loop header: where the checked copy's edges back to the header go.</summary>
    private readonly Dictionary<int, LLVMBasicBlockRef> _checkedLatches = [];

    /// <summary>The loop whose header <see cref="_blocks"/> names its checked latch for now, or null.</summary>
    private StripLoop? _routedLoop;

    /// <summary>In the prologue of checked code: finds the strip loops and makes their counter.</summary>
    private void PrepareStripLoops()
    {
        if (!_program.CheckMemory || !_program.CountsBudget)
        {
            return;
        }
        // The guard takes the header's block, so the header must start one.
        _stripLoops = LoopInduction.Find(Code, _entry, _end, _program.StackSize)
            .Where(pair => _program.Layout.IsLeader(pair.Key))
            .ToDictionary();
        if (_stripLoops.Count > 0)
        {
            _stripLeft = LLVM.BuildAlloca(_b, _t.Int64, "strip.left");
            LLVM.BuildStore(_b, _t.I64(0), _stripLeft);
        }
        foreach (var loop in _stripLoops.Values)
        {
            foreach (var pc in loop.Body)
            {
                _stripLoopOf[pc] = loop;
            }
            _checkedLatches[loop.Header] = Append($"checked.back{loop.Header}");
        }
    }

    /// <summary>
    /// Before the checked copy's slot <paramref name="pc"/>: a jump or fall-through from a loop's
    /// body (the header's own slot included, once its guard is placed) to its header goes to the
    /// checked latch, from anywhere else to the guard. Either way is safe (both lead to checked code or
    /// to the guard); the latch only spares a checked iteration the guard.
    /// </summary>
    private void RouteStripLoopEdges(int pc)
    {
        if (_stripLoop is not null || _stripLoops is null)
        {
            return;
        }
        var loop = _stripLoopOf.GetValueOrDefault(pc);
        if (loop is not null && pc == loop.Header)
        {
            loop = null;
        }
        if (loop == _routedLoop)
        {
            return;
        }
        if (_routedLoop is not null)
        {
            _blocks[_routedLoop.Header] = _guards[_routedLoop.Header];
        }
        if (loop is not null && _guards.TryGetValue(loop.Header, out _))
        {
            _blocks[loop.Header] = _checkedLatches[loop.Header];
        }
        else if (loop is not null)
        {
            // Body slots before the header: the guard is the header's block until it is placed.
            _guards[loop.Header] = _blocks[loop.Header];
            _blocks[loop.Header] = _checkedLatches[loop.Header];
        }
        _routedLoop = loop;
    }

    private bool IsRoutedToCheckedLatch(int target) => _stripLoop is null && _routedLoop?.Header == target;

    private bool IsStripLoopHeader(int pc, out StripLoop loop)
    {
        loop = null!;
        return _stripLoop is null && _stripLoops is not null && _stripLoops.TryGetValue(pc, out loop!);
    }

    private bool IsCoveredByStripGuard(int pc) => _stripLoop is { } loop && loop.Accesses.ContainsKey(pc);

    /// <summary>
    /// At the header's block (which every entry reaches, and every edge back to the header from the
    /// checked copy): the guard, then the unchecked copy of the body; leaves the builder at the checked
    /// copy's head, where emission goes on as usual.
    /// </summary>
    private void EmitStripLoop(StripLoop loop)
    {
        var header = loop.Header;
        var guard = LLVM.GetInsertBlock(_b);
        _guards[header] = guard;
        var checkedHead = Append($"checked.loop{header}");
        var stripHead = Append($"strip{header}");
        var stripLatch = Append($"strip.back{header}");

        var iterations = (long)StripLength * Math.Max(loop.BackEdgesPerIteration, 1);
        LLVM.BuildStore(_b, _t.I64(StripLength), _stripLeft);
        var budget = LLVM.BuildLoad2(_b, _t.Int64, _budget, "budget");
        var admitted = LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntUGE, budget, _t.I64(iterations), "");
        foreach (var access in loop.Accesses.OrderBy(pair => pair.Key).Select(pair => pair.Value))
        {
            admitted = LLVM.BuildAnd(_b, admitted, StripInRegion(access), "");
        }
        LLVM.BuildCondBr(_b, _generator.Likely(admitted), stripHead, checkedHead);

        // The unchecked copy: its own blocks for the body's slots, edges into the header go to the
        // strip's latch; exits keep their targets.
        var saved = new Dictionary<int, LLVMBasicBlockRef>();
        foreach (var pc in loop.Body)
        {
            if (_blocks.TryGetValue(pc, out var block))
            {
                saved[pc] = block;
                _blocks[pc] = pc == header ? stripLatch : Append($"strip.pc{pc}");
            }
        }
        _stripLoop = loop;
        _stripHead = stripHead;
        _stripSpends.Clear();
        _terminated = true;
        EmitRange(loop.First, loop.Last + 1);
        if (!_terminated)
        {
            throw _program.Fail(DiagnosticCodes.IrBadControlFlow, "a loop's last slot does not jump", loop.Last);
        }
        _stripLoop = null;
        foreach (var (pc, block) in saved)
        {
            _blocks[pc] = block;
        }

        // A strip ends after StripLength iterations, at the guard.
        LLVM.PositionBuilderAtEnd(_b, stripLatch);
        var left = LLVM.BuildSub(_b, LLVM.BuildLoad2(_b, _t.Int64, _stripLeft, ""), _t.I64(1), "strip.left");
        LLVM.BuildStore(_b, left, _stripLeft);
        LLVM.BuildCondBr(_b, LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntNE, left, _t.I64(0), ""), stripHead, guard);

        // Checked iterations (their backward jumps have spent) come back to the guard after a strip too.
        LLVM.PositionBuilderAtEnd(_b, _checkedLatches[header]);
        left = LLVM.BuildSub(_b, LLVM.BuildLoad2(_b, _t.Int64, _stripLeft, ""), _t.I64(1), "strip.left");
        LLVM.BuildStore(_b, left, _stripLeft);
        LLVM.BuildCondBr(_b, LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntNE, left, _t.I64(0), ""), checkedHead, guard);

        LLVM.PositionBuilderAtEnd(_b, checkedHead);
        _terminated = false;
        // The header's own slot is in the body: its edges back to itself are the checked copy's.
        _blocks[header] = _checkedLatches[header];
        _routedLoop = loop;
    }

    private enum StripSlot
    {
        /// <summary>Emitted as usual.</summary>
        Usual,

        /// <summary>Not in the loop's body: left out of the unchecked copy.</summary>
        Skipped,

        /// <summary>The header: the builder is at the strip's head already.</summary>
        Placed,
    }

    /// <summary>
    /// While the unchecked copy is emitted: leaves out the slots not in the body, and at the header
    /// moves to the strip's head (a fall-through into the header is an edge back to it).
    /// </summary>
    private StripSlot PlaceForStrip(int pc)
    {
        if (_stripLoop is not { } loop)
        {
            return StripSlot.Usual;
        }
        if (!loop.Body.Contains(pc))
        {
            if (!_terminated)
            {
                LLVM.BuildBr(_b, _blocks[pc]);
                _terminated = true;
            }
            return StripSlot.Skipped;
        }
        if (pc != loop.Header)
        {
            return StripSlot.Usual;
        }
        if (!_terminated)
        {
            LLVM.BuildBr(_b, _blocks[pc]);
        }
        LLVM.PositionBuilderAtEnd(_b, _stripHead);
        _terminated = false;
        return StripSlot.Placed;
    }

    /// <summary>
    /// A backward jump inside the unchecked copy to a slot of the body: spends a unit without testing
    /// the budget (the guard saw enough for the whole strip). Null for a jump out of the loop.
    /// </summary>
    private LLVMBasicBlockRef? StripBackEdgeTo(int target)
    {
        if (_stripLoop is not { } loop || !loop.Body.Contains(target))
        {
            return null;
        }
        if (!_stripSpends.TryGetValue(target, out var block))
        {
            var from = LLVM.GetInsertBlock(_b);
            block = Append($"strip.spend{target}");
            LLVM.PositionBuilderAtEnd(_b, block);
            var left = LLVM.BuildLoad2(_b, _t.Int64, _budget, "budget");
            LLVM.BuildStore(_b, LLVM.BuildSub(_b, left, _t.I64(1), ""), _budget);
            LLVM.BuildBr(_b, _blocks[target]);
            LLVM.PositionBuilderAtEnd(_b, from);
            _stripSpends[target] = block;
        }
        return block;
    }

    private LLVMBasicBlockRef Append(string name) => LLVM.AppendBasicBlockInContext(_generator.Context, _function, name);

    /// <summary>
    /// Whether the access's next <see cref="StripLength"/> iterations lie in the context or the live
    /// frames: one compare per region over the span from the lowest address to the end of the highest
    /// access. The span is a constant far below 2^63 (|stride| is bounded), and InRegion's limit
    /// refuses a span whose first byte lies below the region or whose last passes its end, so a span
    /// whose addresses wrap around 2^64 is refused too.
    /// </summary>
    private LLVMValueRef StripInRegion(StridedAccess access)
    {
        var reach = (StripLength - 1) * access.Stride;
        var span = Math.Abs(reach) + access.Size;
        // Iteration j accesses start + j · stride (mod 2^64); with a negative stride the lowest is the last.
        var start = _t.I64(unchecked(access.Constant + Math.Min(reach, 0)));
        for (var r = 0; r < RegisterCount; r++)
        {
            if (((access.Invariants | access.Inductions) & (1 << r)) != 0)
            {
                start = LLVM.BuildAdd(_b, start, Get(r), "");
            }
        }
        var inContext = InRegion(start, _contextStart, SpanLimit(_contextLength, span, "ctx"));
        var inStack = InRegion(start, _frameBase, SpanLimit(_stackLength, span, "stack"));
        return LLVM.BuildOr(_b, inContext, inStack, "");
    }

    /// <summary>As <see cref="SizeLimits"/> for a span: length - span + 1, or 0 when the region is shorter.</summary>
    private LLVMValueRef SpanLimit(LLVMValueRef length, long span, string name)
    {
        var fits = LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntUGE, length, _t.I64(span), "");
        return LLVM.BuildSelect(_b, fits, LLVM.BuildSub(_b, length, _t.I64(span - 1), ""), _t.I64(0), $"{name}.span{span}");
    }
}
