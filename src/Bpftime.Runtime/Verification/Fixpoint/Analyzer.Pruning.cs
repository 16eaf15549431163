using System.Runtime.InteropServices;
using Bpftime.Diagnostics;

namespace Bpftime.Verification;

internal sealed partial class Analyzer
{
    /// <summary>States kept per instruction; a loop that needs more distinct ones is explored without them.</summary>
    private const int MaxCheckpointsPerInstruction = 64;

    /// <summary>A path keeps a new state only this many instructions after its last one (as Linux does).</summary>
    private const int MinInstructionsBetweenKeptStates = 8;

    private readonly Dictionary<int, int> _idMap = [];

    /// <summary>Widened states per loop head, never evicted: paths around the loop are pruned against them.</summary>
    private readonly Dictionary<int, List<Checkpoint>> _widened = [];

    private readonly SortedSet<int> _unprovenLoops = [];

    private int _nextSym = 1;

    private int _widenings;

    private int _joins;

    /// <summary>What this run saw come back into its widened loop heads: a narrowing for a second run.</summary>
    private readonly LoopNarrowing _narrowing = new();

    /// <summary>The first run's record, when this run narrows its widened loop heads by it.</summary>
    private LoopNarrowing? _narrowBy;

    /// <summary>The ranges this run's widened loop heads took on; <see cref="NarrowBy"/> of a second run.</summary>
    public LoopNarrowing Narrowing => _narrowing;

    /// <summary>Narrows widened loop heads by an earlier run's record (call before <see cref="Run"/>).</summary>
    public void NarrowBy(LoopNarrowing narrowing) => _narrowBy = narrowing;

    /// <summary>Paths that reached each merge point uncovered (see <see cref="JoinAtMerge"/>).</summary>
    private int[] _arrivals = [];

    /// <summary>Joins made at each merge point.</summary>
    private int[] _joinsAt = [];

    /// <summary>True when some paths were joined at a merge point: a refusal may then come from the lost precision.</summary>
    public bool Joined => _joins > 0;

    /// <summary>True when some loop head was widened: a refusal may then come from the lost precision.</summary>
    public bool Widened => _widenings > 0;

    /// <summary>How far up its chain of kept states a path looks for earlier iterations of the loop it is in.</summary>
    private const int MaxChainWalk = 4096;

    /// <summary>Widenings of one loop head on one path that a narrowing run narrows (see <see cref="LoopNarrowing"/>).</summary>
    private const int NarrowedWidenings = 2;

    /// <summary>Widenings of one loop head on one path after which widening stops at the program's constants and goes to the ends of the types.</summary>
    private const int WideningsWithThresholds = 8;

    /// <summary>
    /// At a prune point: true when a state kept here, all of whose paths are already proven safe,
    /// covers the current one (so this path is safe too), or, at a loop head, when the widened state
    /// of an earlier iteration on this path covers it (the loop's fixpoint is reached). Otherwise
    /// keeps the current state; at a loop head gone around <see cref="VerifierOptions.LoopUnrollLimit"/>
    /// times, first widens it. A state still being explored that equals the current one means a
    /// loop came back to where it started with nothing changed: it cannot terminate.
    /// </summary>
    private bool IsCovered(VerifierState state)
    {
        _explored++;
        if (!_options.Prune)
        {
            return false;
        }
        var pc = state.Pc;
        var kept = _checkpoints[pc] ??= [];
        var fingerprint = Fingerprint(state);
        var summary = kept.Count > 0 ? CoverSummary.Of(state) : default;
        var liveFields = kept.Count > 0 ? CoverSummary.LiveFields(_shape.LiveIn[pc] | (1 << FramePointer)) : 0;
        foreach (var checkpoint in kept)
        {
            var old = checkpoint.State!;
            if (checkpoint.Branches == 0)
            {
                if (checkpoint.Summary.MayCover(summary, liveFields) && Covers(old, state, exact: false, relations: checkpoint.RelationsUsed))
                {
                    if (checkpoint.RelationsUsed)
                    {
                        // What the old state's paths relied on, this path now relies on too.
                        NoteRelationsUsed(state);
                    }
                    NoteLeft(state);
                    return true;
                }
            }
            else if (checkpoint.Fingerprint == fingerprint && !state.Widened && !old.Widened && Covers(old, state, exact: true))
            {
                throw new VerificationError(DiagnosticCodes.VerifierInfiniteLoop, pc,
                    "an infinite loop: execution comes back here in exactly the state it had before, so it never ends; make the loop condition depend on a value that changes");
            }
        }
        var loopHead = _shape.LoopHead[pc];
        if (loopHead)
        {
            switch (AtLoopHead(state, ref fingerprint))
            {
                case LoopHeadOutcome.Covered:
                    return true;
                case LoopHeadOutcome.Widened:
                    return false;
            }
        }
        var joined = !loopHead && _shape.MergePoint[pc] && JoinAtMerge(state, kept, ref fingerprint);
        if (!joined && (!loopHead || _options.LoopUnrollLimit == int.MaxValue) && _processed - state.KeptAt < MinInstructionsBetweenKeptStates && kept.Count > 0)
        {
            // A tight loop would otherwise keep (and copy) a state every few instructions; comparing
            // still happens at every visit, so an unchanged loop is found all the same. Loop heads
            // always keep theirs: iterations are counted by them.
            return false;
        }
        state.KeptAt = _processed;
        if (kept.Count >= MaxCheckpointsPerInstruction)
        {
            // Bound the comparisons per visit: forget the oldest state kept here. Recent states are the
            // likeliest to cover the next ones; a forgotten one costs only re-exploration (and a
            // forgotten loop head leaves an endless loop to the instruction budget).
            kept[0].State = null;
            kept.RemoveAt(0);
            _stored--;
        }
        var copy = state.Clone();
        var added = new Checkpoint(copy, state.Parent, fingerprint, pc);
        copy.Parent = null;
        kept.Add(added);
        state.Parent = added;
        _stored++;
        _kept++;
        CheckStateLimit(pc, copy);
        return false;
    }

    /// <summary>Joins at one merge point after which they widen, so that a point many paths reach stops growing.</summary>
    private const int JoinsBeforeWidening = 8;

    /// <summary>
    /// A path at a merge point that no kept state covers: once more than
    /// <see cref="VerifierOptions.JoinStatesAfter"/> such paths came here, its state becomes the join
    /// of itself and the latest state kept here that differs from it only in numbers (<see cref="SameShape"/>), which the caller then keeps;
    /// that state, if all its paths are done, is dropped, since the join covers it. Returns true when
    /// the state was joined.
    /// </summary>
    private bool JoinAtMerge(VerifierState state, List<Checkpoint> kept, ref int fingerprint)
    {
        var pc = state.Pc;
        if (_options.JoinStatesAfter == int.MaxValue || ++_arrivals[pc] <= _options.JoinStatesAfter)
        {
            return false;
        }
        Checkpoint? partner = null;
        for (var i = kept.Count - 1; i >= 0 && partner is null; i--)
        {
            if (kept[i].State is { } candidate && SameShape(candidate, state))
            {
                partner = kept[i];
            }
        }
        if (partner is null)
        {
            return false;
        }
        var widen = _joinsAt[pc] >= JoinsBeforeWidening;
        var join = new StateJoin(widen ? _shape.Thresholds : null, widen, NewId, NewRel);
        var merged = join.Merge(partner.State!, state);
        if (merged is null)
        {
            // Different references or lock held: the paths stay apart.
            return false;
        }
        _joinsAt[pc]++;
        _joins++;
        if (join.RelationsUsed)
        {
            NoteRelationsUsed(state);
        }
        CopyInto(merged, state);
        // The join is an abstraction: a state equal to it later does not show an endless loop.
        state.Widened = true;
        fingerprint = Fingerprint(state);
        if (partner.Branches == 0)
        {
            kept.Remove(partner);
            partner.State = null;
            _stored--;
        }
        return true;
    }

    /// <summary>
    /// True when two states differ at most in numbers that are not flags: the same call frames,
    /// references and lock, the same kind of value in every live register (pointers to the same
    /// object), the same constant in every register whose value still matters that is a constant in
    /// either (a flag or a return code a later branch tests), and the same stack bytes initialised,
    /// holding the same kinds of pointers. Joining such states loses only numeric bounds; states that
    /// differ in what is initialised, null-checked, pointed at or flagged, which later branches
    /// usually rely on, stay apart.
    /// </summary>
    private bool SameShape(VerifierState a, VerifierState b)
    {
        if (!SameFrames(a, b) || a.References.Count != b.References.Count || a.LockHeldSince != b.LockHeldSince)
        {
            return false;
        }
        for (var f = 0; f < a.Frames.Count; f++)
        {
            var x = a.Frames[f];
            var y = b.Frames[f];
            var (top, resume, live) = LiveAt(b, f);
            var relevant = top ? _shape.Relevant[resume] : (ushort)0;
            for (var r = 0; r < FrameState.RegisterCount; r++)
            {
                if ((live & (1 << r)) != 0 && !SameKind(x.Registers[r], y.Registers[r]))
                {
                    return false;
                }
                if ((relevant & (1 << r)) != 0 && x.Registers[r].IsScalar && (x.Registers[r].Value.IsConst || y.Registers[r].Value.IsConst) && !x.Registers[r].Value.Equals(y.Registers[r].Value))
                {
                    return false;
                }
            }
            if (x.Stack.AsSpan().SequenceEqual(y.Stack))
            {
                for (var slot = 0; slot < x.SlotCount; slot++)
                {
                    if (x.Stack[slot * 8] == StackByte.Spill && !SameKind(x.Spills[slot], y.Spills[slot]))
                    {
                        return false;
                    }
                }
                continue;
            }
            for (var i = 0; i < x.Stack.Length; i++)
            {
                // Numbers (data, zeros, spilled scalars) join; what is uninitialised or holds a pointer must match.
                var p = x.Stack[i];
                var q = y.Stack[i];
                if (p == q ? p == StackByte.Spill && i % 8 == 0 && !SameKind(x.Spills[i / 8], y.Spills[i / 8])
                    : p == StackByte.Invalid || q == StackByte.Invalid || (p == StackByte.Spill && x.Spills[i / 8].IsPointer) || (q == StackByte.Spill && y.Spills[i / 8].IsPointer))
                {
                    return false;
                }
            }
        }
        return true;
    }

    /// <summary>
    /// For frame <paramref name="f"/> of a state: whether it is the running one, where it resumes (the
    /// state's pc, or after the call it made), and the registers live there (a caller's r0-r5 are not).
    /// </summary>
    private (bool Top, int Resume, ushort Live) LiveAt(VerifierState state, int f)
    {
        var top = f == state.Frames.Count - 1;
        var resume = top ? state.Pc : state.Frames[f + 1].CallSite + 1;
        return (top, resume, top ? _shape.LiveIn[resume] : (ushort)(_shape.LiveIn[resume] & ~0b11_1111));
    }

    private static bool SameKind(in RegisterState a, in RegisterState b) =>
        a.Type == b.Type && (a.Type == RegisterType.Scalar || (a.Target == b.Target && a.ReferenceId == b.ReferenceId));

    /// <summary>
    /// A path at a loop head: covered when a widened state of this loop on its own chain covers it,
    /// which records the path for the termination proof; otherwise, once it went around often
    /// enough, its state is replaced by the previous iteration's widened by it, and kept as the
    /// loop's widened state (the path goes on from there).
    /// </summary>
    private enum LoopHeadOutcome
    {
        /// <summary>Nothing done: keep the state as at any prune point.</summary>
        Unrolled,
        /// <summary>A widened state of this loop covers the path: it ends here.</summary>
        Covered,
        /// <summary>The path's state was widened and kept as the loop's widened state.</summary>
        Widened,
    }

    private LoopHeadOutcome AtLoopHead(VerifierState state, ref int fingerprint)
    {
        var pc = state.Pc;
        if (_options.LoopUnrollLimit == int.MaxValue)
        {
            return LoopHeadOutcome.Unrolled;
        }
        Checkpoint? previous = null;
        var iterations = 0;
        var widenings = 0;
        var steps = 0;
        for (var c = state.Parent; c is not null && steps < MaxChainWalk; c = c.Parent, steps++)
        {
            if (c.Pc != pc || c.State is not { } old || !SameFrames(old, state))
            {
                continue;
            }
            if (c.Loop is not null)
            {
                // The latest widened state of this loop on the path: the earlier ones are narrower.
                if (Covers(old, state, exact: false, symbolic: false))
                {
                    // The widened state's paths are still being explored: whatever they rely on, this one does.
                    if (!old.Relations.IsEmpty)
                    {
                        NoteRelationsUsed(state);
                    }
                    c.Loop.Add(old, state);
                    _narrowing.CameBack(pc, state);
                    NoteLeft(state, upTo: c);
                    return LoopHeadOutcome.Covered;
                }
                previous ??= c;
                for (var w = c; w is not null; w = w.EnclosingLoop)
                {
                    widenings += w.Pc == pc ? 1 : 0;
                }
                break;
            }
            previous ??= c;
            if (++iterations >= _options.LoopUnrollLimit)
            {
                break;
            }
        }
        if (previous is null || (previous.Loop is null && iterations < _options.LoopUnrollLimit))
        {
            return LoopHeadOutcome.Unrolled;
        }
        var thresholds = widenings < WideningsWithThresholds ? _shape.Thresholds : null;
        _widenings++;
        var join = new StateJoin(thresholds, widen: true, NewId, NewRel);
        var widened = join.Merge(previous.State!, state);
        if (widened is null)
        {
            // Different references or lock held on the two iterations: keep unrolling (the budget bounds it).
            return LoopHeadOutcome.Unrolled;
        }
        if (join.RelationsUsed)
        {
            NoteRelationsUsed(state);
        }
        _narrowing.Widened(pc, previous.State!, state);
        if (widenings < NarrowedWidenings)
        {
            // Only the first widenings: later ones widen plainly, so the loop head still reaches a fixpoint.
            _narrowBy?.Narrow(pc, widened, state);
        }
        GiveSymbols(widened);
        CopyInto(widened, state);
        state.Widened = true;
        fingerprint = Fingerprint(state);
        var copy = state.Clone();
        var added = new Checkpoint(copy, state.Parent, fingerprint, pc) { Loop = new LoopReturns(pc) };
        copy.Parent = null;
        if (!_widened.TryGetValue(pc, out var list))
        {
            _widened[pc] = list = [];
        }
        list.Add(added);
        state.Parent = added;
        state.KeptAt = _processed;
        _stored++;
        _kept++;
        CheckStateLimit(pc, copy);
        return LoopHeadOutcome.Widened;
    }

    private static bool SameFrames(VerifierState a, VerifierState b)
    {
        if (a.Frames.Count != b.Frames.Count)
        {
            return false;
        }
        for (var f = 0; f < a.Frames.Count; f++)
        {
            if (a.Frames[f].CallSite != b.Frames[f].CallSite || a.Frames[f].FunctionStart != b.Frames[f].FunctionStart)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Every number the loop changes gets a new symbolic value (delta 0) at the widened loop head.</summary>
    private void GiveSymbols(VerifierState widened)
    {
        widened.ForEachRegister((ref RegisterState r) =>
        {
            if (r.IsScalar && r.Sym == 0)
            {
                r.Sym = _nextSym++;
                r.Delta = 0;
            }
        });
    }

    /// <summary>Trips all proven loops together may make (the product of their bounds) before the program counts as possibly endless.</summary>
    private const ulong MaxProvenTrips = 1UL << 32;

    /// <summary>
    /// A path ended at exit or at a completed state: every widened loop it is in may be left. (Paths
    /// that come back to a widened loop head leave only the loops inside it.)
    /// </summary>
    private static void NoteLeft(VerifierState state, Checkpoint? upTo = null)
    {
        var c = state.Parent is { Loop: not null } parent ? parent : state.Parent?.EnclosingLoop;
        for (; c is not null && c != upTo; c = c.EnclosingLoop)
        {
            c.Loop!.Left = true;
        }
    }

    /// <summary>
    /// After exploring: a widened loop no path leaves never ends (refused); one whose paths around
    /// it are not shown to end is unproven, as are all when the proven ones together may run too long.
    /// </summary>
    private void CheckTermination()
    {
        var product = 1UL;
        foreach (var (pc, list) in _widened.OrderBy(w => w.Key))
        {
            var worst = 1UL;
            foreach (var checkpoint in list)
            {
                var loop = checkpoint.Loop!;
                if (!loop.Left && checkpoint.Branches == 0)
                {
                    throw new VerificationError(DiagnosticCodes.VerifierInfiniteLoop, pc,
                        "an infinite loop: no path leaves this loop (every way around comes back here), so it never ends; give it a condition that can become false");
                }
                var bound = loop.Bound();
                if (bound == 0)
                {
                    _unprovenLoops.Add(pc);
                    break;
                }
                worst = Math.Max(worst, bound);
            }
            product = (UInt128)product * worst > ulong.MaxValue ? ulong.MaxValue : product * worst;
        }
        if (product > MaxProvenTrips)
        {
            _unprovenLoops.UnionWith(_widened.Keys);
        }
        if (_options.RequireTermination && _unprovenLoops.Count > 0)
        {
            var head = _unprovenLoops.Min;
            throw new VerificationError(DiagnosticCodes.VerifierTerminationNotProven, head,
                $"the loop at instruction {head} may not end (or may run more than {MaxProvenTrips} times with the loops around it): no counter was found that moves the same way on every path around it and is bounded by the loop's condition; count with a variable compared against a small limit (for (i = 0; i < N; i++)), or use bpf_loop");
        }
    }

    /// <summary>
    /// A hash of the parts of a state an exact comparison needs equal (live registers without their
    /// ids, frame and reference counts): unequal hashes rule out an exact match without comparing.
    /// </summary>
    private int Fingerprint(VerifierState state)
    {
        var hash = new HashCode();
        hash.Add(state.Frames.Count);
        hash.Add(state.References.Count);
        hash.Add(state.LockHeldSince < 0);
        for (var f = 0; f < state.Frames.Count; f++)
        {
            var frame = state.Frames[f];
            var top = f == state.Frames.Count - 1;
            var resume = top ? state.Pc : state.Frames[f + 1].CallSite + 1;
            var live = top ? _shape.LiveIn[resume] : (ushort)(_shape.LiveIn[resume] & ~0b11_1111);
            for (var r = 0; r < FrameState.RegisterCount; r++)
            {
                if ((live & (1 << r)) == 0)
                {
                    continue;
                }
                ref var register = ref frame.Registers[r];
                hash.Add(register.Type);
                hash.Add(register.Offset);
                hash.Add(register.Target);
                hash.Add(register.Range);
                hash.Add(register.Value);
            }
        }
        return hash.ToHashCode();
    }

    /// <summary>
    /// True when every concrete state <paramref name="now"/> stands for is one <paramref name="old"/>
    /// stands for too (or, with <paramref name="exact"/>, when they are the same), looking only at
    /// registers that are live.
    /// </summary>
    /// <param name="symbolic">
    /// Numbers with a symbolic value in <paramref name="old"/> must have the same one, moved by the same
    /// constant, in <paramref name="now"/>: the paths <paramref name="old"/> took back around a widened
    /// loop were measured with those, and they stand for this path too. Off only for the widened loop
    /// head itself, where paths come back with their counters moved.
    /// </param>
    /// <param name="relations">
    /// False when no path from <paramref name="old"/> used a relation (<see cref="Checkpoint.RelationsUsed"/>):
    /// they were explored as without relations, so its ranges alone stand for them.
    /// </param>
    private bool Covers(VerifierState old, VerifierState now, bool exact, bool symbolic = true, bool relations = true)
    {
        if (old.Frames.Count != now.Frames.Count || old.References.Count != now.References.Count || (old.LockHeldSince < 0) != (now.LockHeldSince < 0))
        {
            return false;
        }
        if (exact ? old.LengthMin != now.LengthMin : now.LengthMin < old.LengthMin)
        {
            return false;
        }
        symbolic &= !exact;
        var ids = _idMap;
        ids.Clear();
        // Registers of every frame first: they differ far more often than stacks and cost less to compare.
        for (var pass = 0; pass < 2; pass++)
        {
            for (var f = 0; f < old.Frames.Count; f++)
            {
                var a = old.Frames[f];
                var b = now.Frames[f];
                var top = f == old.Frames.Count - 1;
                var resume = top ? now.Pc : old.Frames[f + 1].CallSite + 1;
                if (pass == 0)
                {
                    if (a.FunctionStart != b.FunctionStart || a.CallSite != b.CallSite || !ReferenceEquals(a.CallbackEntry, b.CallbackEntry))
                    {
                        return false;
                    }
                    var live = top ? _shape.LiveIn[resume] : (ushort)(_shape.LiveIn[resume] & ~0b11_1111);
                    var relevant = _shape.Relevant[resume];
                    for (var r = 0; r < FrameState.RegisterCount; r++)
                    {
                        if ((live & (1 << r)) == 0 && r != FramePointer)
                        {
                            continue;
                        }
                        if (!RegisterCovers(a.Registers[r], b.Registers[r], ids, exact, valueMatters: (relevant & (1 << r)) != 0, symbolic))
                        {
                            return false;
                        }
                    }
                    continue;
                }
                // Callers' stacks may still be read through pointers by the callees: compare them whole.
                var relevantStack = top && a.Stack.Length == 512 ? _shape.RelevantStack[resume] : ulong.MaxValue;
                if (!StackCovers(a, b, ids, exact, relevantStack, symbolic))
                {
                    return false;
                }
            }
        }
        if (!exact && relations && !old.Relations.IsEmpty && !RelationFacts.Covers(old.Relations, now.Relations, RelatedPairs(old, now)))
        {
            // The old state's paths may have relied on a difference this one does not guarantee.
            return false;
        }
        for (var i = 0; i < old.References.Count; i++)
        {
            if (old.References[i].Owner != now.References[i].Owner || !SameId(ids, old.References[i].Id, now.References[i].Id))
            {
                return false;
            }
        }
        if (old.LockHeldSince >= 0 && (old.Lock.Map != now.Lock.Map || !SameId(ids, old.Lock.Id, now.Lock.Id)))
        {
            return false;
        }
        return true;
    }

    private static bool SameId(Dictionary<int, int> ids, int old, int now)
    {
        if (old == 0 || now == 0)
        {
            return old == now;
        }
        if (ids.TryGetValue(old, out var mapped))
        {
            return mapped == now;
        }
        ids[old] = now;
        return true;
    }

    private static bool RegisterCovers(in RegisterState old, in RegisterState now, Dictionary<int, int> ids, bool exact, bool valueMatters = true, bool symbolic = false)
    {
        if (exact)
        {
            return old.Type == now.Type && old.Offset == now.Offset && old.Target == now.Target && old.Range == now.Range
                && old.Value.Equals(now.Value) && SameId(ids, old.Id, now.Id) && SameId(ids, old.ReferenceId, now.ReferenceId);
        }
        if (old.Type == RegisterType.NotInitialized)
        {
            // The old path never read it (or it would have failed), so its value does not matter.
            return true;
        }
        if (old.Type != now.Type)
        {
            return false;
        }
        if (old.Type == RegisterType.Scalar)
        {
            if (symbolic && old.Sym != 0 && (now.Sym != old.Sym || now.Delta != old.Delta))
            {
                return false;
            }
            // A number linked to copies on the old path must be linked the same way now.
            return !valueMatters || (now.Value.IsWithin(old.Value) && (old.Id == 0 || SameId(ids, old.Id, now.Id)) && LengthFacts.Covers(old, now));
        }
        if (old.Offset != now.Offset || old.Target != now.Target || !now.Value.IsWithin(old.Value) || !LengthFacts.Covers(old, now))
        {
            return false;
        }
        switch (old.Type)
        {
            case RegisterType.Packet:
            case RegisterType.PacketMeta:
                return now.Range >= old.Range && SameId(ids, old.Id + 1, now.Id + 1);
            case RegisterType.MapValueOrNull:
            case RegisterType.RingBufferRecordOrNull:
            case RegisterType.MapPointerOrNull:
                return old.Range == now.Range && SameId(ids, old.Id, now.Id) && SameId(ids, old.ReferenceId, now.ReferenceId);
            case RegisterType.RingBufferRecord:
                return old.Range == now.Range && SameId(ids, old.ReferenceId, now.ReferenceId);
            case RegisterType.Memory:
                return old.Range == now.Range;
            default:
                return true;
        }
    }

    /// <summary>Whether any of the 8 stack bytes packed in <paramref name="slot"/> is <see cref="StackByte.Spill"/>.</summary>
    private static bool HasSpillByte(ulong slot)
    {
        const ulong Ones = 0x0101010101010101UL;
        // Bytes equal to Spill become zero; the classic test finds a zero byte.
        var x = slot ^ (Ones * (byte)StackByte.Spill);
        return ((x - Ones) & ~x & (Ones * 0x80)) != 0;
    }

    private static bool StackCovers(FrameState old, FrameState now, Dictionary<int, int> ids, bool exact, ulong relevantSlots = ulong.MaxValue, bool symbolic = false)
    {
        var a = old.Stack;
        var b = now.Stack;
        if (a.AsSpan().SequenceEqual(b))
        {
            // The common case: the same bytes; only spilled registers need a closer look.
            for (var slot = 0; slot < old.SlotCount; slot++)
            {
                if (a[slot * 8] == StackByte.Spill
                    && !RegisterCovers(old.Spills[slot], now.Spills[slot], ids, exact, valueMatters: exact || (relevantSlots & (1UL << slot)) != 0, symbolic))
                {
                    return false;
                }
            }
            return true;
        }
        var slots = MemoryMarshal.Cast<StackByte, ulong>(a);
        var nowSlots = MemoryMarshal.Cast<StackByte, ulong>(b);
        for (var i = 0; i < a.Length; i++)
        {
            if (i % 8 == 0 && i / 8 < slots.Length && i / 8 < nowSlots.Length && slots[i / 8] == nowSlots[i / 8] && !HasSpillByte(slots[i / 8]))
            {
                // Equal bytes with no spill: each byte covers its twin, exactly or not.
                i += 7;
                continue;
            }
            var was = a[i];
            var isNow = b[i];
            if (exact)
            {
                if (was != isNow)
                {
                    return false;
                }
                if (was == StackByte.Spill && i % 8 == 0 && !RegisterCovers(old.Spills[i / 8], now.Spills[i / 8], ids, exact: true))
                {
                    return false;
                }
                continue;
            }
            switch (was)
            {
                case StackByte.Invalid:
                    continue;
                case StackByte.Misc:
                    if (isNow == StackByte.Invalid || (isNow == StackByte.Spill && now.Spills[i / 8].IsPointer))
                    {
                        return false;
                    }
                    continue;
                case StackByte.Zero:
                    if (isNow == StackByte.Zero || ((relevantSlots & (1UL << (i / 8))) == 0 && isNow == StackByte.Misc))
                    {
                        continue;
                    }
                    if (isNow == StackByte.Spill && now.Spills[i / 8].IsConstant && now.Spills[i / 8].Value.ConstValue == 0)
                    {
                        continue;
                    }
                    return false;
                default:
                    {
                        var slot = i / 8;
                        var valueMatters = (relevantSlots & (1UL << slot)) != 0;
                        if (isNow != StackByte.Spill)
                        {
                            // A number no longer needed exactly is covered by any initialised data.
                            if (!valueMatters && old.Spills[slot].IsScalar && isNow != StackByte.Invalid && !(symbolic && old.Spills[slot].Sym != 0))
                            {
                                continue;
                            }
                            return false;
                        }
                        if (i % 8 == 0 && !RegisterCovers(old.Spills[slot], now.Spills[slot], ids, exact: false, valueMatters, symbolic))
                        {
                            return false;
                        }
                        continue;
                    }
            }
        }
        return true;
    }
}
