namespace Bpftime.Verification;

/// <summary>
/// The termination proof of one widened loop head. Each path that comes back around the loop into
/// the widened state records, per location (register or spilled slot) whose symbolic value it kept,
/// how far the number moved (exactly, without wrapping) and whether the path bounds it in that
/// direction. The loop ends when the paths can be ruled out one group at a time by a lexicographic
/// ranking: some location never moves backwards on any remaining path and moves forwards, bounded,
/// on some (those paths can then happen only finitely often), until no path remains.
/// </summary>
internal sealed class LoopReturns(int head)
{
    /// <summary>A path bounds a counter only if it cannot run more often than this (a longer loop is as good as endless).</summary>
    public const ulong MaxTrips = 1UL << 24;

    /// <summary>The trips a counter bounded by the (mem, len) length may make: the most the length can be.</summary>
    public const ulong LengthTrips = 1UL << 32;

    private readonly List<Dictionary<int, Progress>> _paths = [];

    public int Head { get; } = head;

    /// <summary>True once some path from the widened state left the loop (reached exit, or another loop's head further out).</summary>
    public bool Left { get; set; }

    /// <summary>How one location moved on one path: the constant step, and how many times at most the path can run (0: unbounded).</summary>
    public readonly record struct Progress(long Step, ulong Trips)
    {
        public bool Bounded => Trips > 0;
    }

    /// <summary>Records a path back into <paramref name="widened"/>, in state <paramref name="now"/> (which it covers).</summary>
    public void Add(VerifierState widened, VerifierState now)
    {
        var moves = new Dictionary<int, Progress>();
        for (var f = 0; f < widened.Frames.Count; f++)
        {
            var a = widened.Frames[f];
            var b = now.Frames[f];
            for (var r = 0; r < FrameState.RegisterCount; r++)
            {
                Measure(moves, (f << 16) | r, a.Registers[r], b.Registers[r]);
            }
            for (var slot = 0; slot < a.SlotCount; slot++)
            {
                if (a.Stack[slot * 8] == StackByte.Spill && b.Stack[slot * 8] == StackByte.Spill)
                {
                    Measure(moves, (f << 16) | 0x8000 | slot, a.Spills[slot], b.Spills[slot]);
                }
            }
        }
        _paths.Add(moves);
    }

    private static void Measure(Dictionary<int, Progress> moves, int location, in RegisterState at, in RegisterState now)
    {
        // Only a number the widened state still describes counts: its range there bounds where it starts.
        if (!at.IsScalar || !now.IsScalar || at.Sym == 0 || at.Sym != now.Sym || !now.Value.IsWithin(at.Value))
        {
            return;
        }
        var step = now.Delta - at.Delta;
        ulong trips = 0;
        if (step > 0)
        {
            trips = (now.Value.UMax - at.Value.UMin) / (ulong)step + 1;
            if (trips > MaxTrips)
            {
                // Below the buffer length: as many trips as bytes the host passed, linear in its input.
                trips = now.Length != LengthRelation.None ? LengthTrips : 0;
            }
        }
        else if (step < 0)
        {
            trips = (at.Value.UMax - now.Value.UMin) / (ulong)(-step) + 1;
            trips = trips > MaxTrips ? 0 : trips;
        }
        moves[location] = new Progress(step, trips);
    }

    /// <summary>
    /// How many times at most the recorded paths can go around (the product of the bounds of the
    /// ranking's components, saturating), or 0 when they may go around forever (see the class summary).
    /// </summary>
    public ulong Bound()
    {
        var bound = 1UL;
        var remaining = new List<Dictionary<int, Progress>>(_paths);
        while (remaining.Count > 0)
        {
            var ruledOut = false;
            foreach (var location in remaining.SelectMany(p => p.Keys).Distinct().ToList())
            {
                foreach (var direction in (ReadOnlySpan<int>)[1, -1])
                {
                    if (!remaining.TrueForAll(p => p.TryGetValue(location, out var m) && m.Step * direction >= 0))
                    {
                        continue;
                    }
                    var trips = 0UL;
                    foreach (var p in remaining)
                    {
                        if (p[location].Step * direction > 0 && p[location].Bounded)
                        {
                            trips = Math.Max(trips, p[location].Trips);
                        }
                    }
                    if (remaining.RemoveAll(p => p[location].Step * direction > 0 && p[location].Bounded) > 0)
                    {
                        bound = (UInt128)bound * trips > ulong.MaxValue ? ulong.MaxValue : bound * trips;
                        ruledOut = true;
                        break;
                    }
                }
                if (ruledOut)
                {
                    break;
                }
            }
            if (!ruledOut)
            {
                return 0;
            }
        }
        return bound;
    }
}
