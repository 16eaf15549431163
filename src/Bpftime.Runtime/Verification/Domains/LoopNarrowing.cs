namespace Bpftime.Verification;

/// <summary>
/// Narrowing after widening, as a second pass. Widening jumps a loop head's bounds to the next of the
/// program's constants (or to the ends of the types), past what the loop can reach; the states that
/// actually come back into the widened state (and the one that entered it) are tighter. One run
/// records, per loop head, the ranges of the numbers the top frame holds (registers and spilled
/// slots) over the state the last widening started from and every path that came back into it: one
/// descending step, F(W) = entry join post(W). A second run meets each widened range with those
/// ranges joined with the path's own, so the widened state still covers the path that makes it;
/// whether the narrowed state is a fixpoint is checked as for any widened state: a path around the
/// loop it does not cover widens it again (only a loop head's first two widenings on a path are
/// narrowed, so the later ones still reach a fixpoint). Narrowing therefore never makes a proof unsound, only
/// tighter: a counter's bound past a loop (`while (i < N) i += 7;` leaves i in [N, N + 6]) is kept
/// where widening alone moves it to the end of the type.
/// </summary>
internal sealed class LoopNarrowing
{
    private readonly Dictionary<int, ScalarRange?[]> _ranges = [];

    /// <summary>True when some loop head has ranges recorded.</summary>
    public bool IsEmpty => _ranges.Count == 0;

    /// <summary>A loop head was widened from the join of <paramref name="previous"/> and <paramref name="current"/>: start its record afresh.</summary>
    public void Widened(int pc, VerifierState previous, VerifierState current)
    {
        var known = Numbers(previous);
        Add(known, current);
        _ranges[pc] = known;
    }

    /// <summary>A path came back into the widened state of the loop head at <paramref name="pc"/>.</summary>
    public void CameBack(int pc, VerifierState state)
    {
        if (_ranges.TryGetValue(pc, out var known))
        {
            Add(known, state);
        }
    }

    private static void Add(ScalarRange?[] known, VerifierState state)
    {
        var frame = state.Current;
        for (var i = 0; i < known.Length; i++)
        {
            if (known[i] is not { } a)
            {
                continue;
            }
            RegisterState? now = i < FrameState.RegisterCount ? frame.Registers[i]
                : i - FrameState.RegisterCount < frame.SlotCount && frame.Stack[(i - FrameState.RegisterCount) * 8] == StackByte.Spill ? frame.Spills[i - FrameState.RegisterCount] : null;
            known[i] = now is { IsScalar: true } number ? RangeWidening.Join(a, number.Value) : null;
        }
    }

    /// <summary>
    /// Narrows <paramref name="widened"/>, made at <paramref name="pc"/> from <paramref name="path"/>,
    /// by what an earlier run recorded there. Every range stays a superset of the path's own.
    /// </summary>
    public void Narrow(int pc, VerifierState widened, VerifierState path)
    {
        if (!_ranges.TryGetValue(pc, out var known))
        {
            return;
        }
        var into = widened.Current;
        var from = path.Current;
        for (var r = 0; r < FrameState.RegisterCount; r++)
        {
            if (known[r] is { } range)
            {
                Meet(ref into.Registers[r], from.Registers[r], range);
            }
        }
        for (var slot = 0; slot < into.SlotCount && FrameState.RegisterCount + slot < known.Length; slot++)
        {
            if (known[FrameState.RegisterCount + slot] is { } range && into.Stack[slot * 8] == StackByte.Spill && from.Stack[slot * 8] == StackByte.Spill)
            {
                Meet(ref into.Spills[slot], from.Spills[slot], range);
            }
        }
    }

    private static void Meet(ref RegisterState widened, in RegisterState path, in ScalarRange recorded)
    {
        if (!widened.IsScalar || !path.IsScalar)
        {
            return;
        }
        // Both contain the path's value, so the meet is never empty; the widened range stays if it were.
        if (ScalarRange.Meet(widened.Value, RangeWidening.Join(recorded, path.Value), out var met))
        {
            widened.Value = met;
        }
    }

    private static ScalarRange?[] Numbers(VerifierState state)
    {
        var frame = state.Current;
        var numbers = new ScalarRange?[FrameState.RegisterCount + frame.SlotCount];
        for (var r = 0; r < FrameState.RegisterCount; r++)
        {
            numbers[r] = frame.Registers[r].IsScalar ? frame.Registers[r].Value : null;
        }
        for (var slot = 0; slot < frame.SlotCount; slot++)
        {
            numbers[FrameState.RegisterCount + slot] = frame.Stack[slot * 8] == StackByte.Spill && frame.Spills[slot].IsScalar ? frame.Spills[slot].Value : null;
        }
        return numbers;
    }
}
