using Bpftime.Diagnostics;

namespace Bpftime.Verification;

internal sealed partial class Analyzer
{
    /// <summary>States kept per instruction; a loop that needs more distinct ones is explored without them.</summary>
    private const int MaxCheckpointsPerInstruction = 64;

    /// <summary>A path keeps a new state only this many instructions after its last one (as Linux does).</summary>
    private const int MinInstructionsBetweenKeptStates = 8;

    private readonly Dictionary<int, int> _idMap = [];

    /// <summary>
    /// At a prune point: true when a state kept here, all of whose paths are already proven safe,
    /// covers the current one (so this path is safe too). Otherwise keeps the current state. A
    /// state still being explored that equals the current one means a loop came back to where it
    /// started with nothing changed: it cannot terminate.
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
        foreach (var checkpoint in kept)
        {
            var old = checkpoint.State!;
            if (checkpoint.Branches == 0)
            {
                if (Covers(old, state, exact: false))
                {
                    return true;
                }
            }
            else if (checkpoint.Fingerprint == fingerprint && Covers(old, state, exact: true))
            {
                throw new VerificationError(DiagnosticCodes.VerifierInfiniteLoop, pc,
                    "an infinite loop: execution comes back here in exactly the state it had before, so it never ends; make the loop condition depend on a value that changes");
            }
        }
        if (_processed - state.KeptAt < MinInstructionsBetweenKeptStates && kept.Count > 0)
        {
            // A tight loop would otherwise keep (and copy) a state every few instructions; comparing
            // still happens at every visit, so an unchanged loop is found all the same.
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
        var added = new Checkpoint(copy, state.Parent, fingerprint);
        copy.Parent = null;
        kept.Add(added);
        state.Parent = added;
        _stored++;
        CheckStateLimit(pc);
        return false;
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
    private bool Covers(VerifierState old, VerifierState now, bool exact)
    {
        if (old.Frames.Count != now.Frames.Count || old.References.Count != now.References.Count || (old.LockHeldSince < 0) != (now.LockHeldSince < 0))
        {
            return false;
        }
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
                        if (!RegisterCovers(a.Registers[r], b.Registers[r], ids, exact, valueMatters: (relevant & (1 << r)) != 0))
                        {
                            return false;
                        }
                    }
                    continue;
                }
                // Callers' stacks may still be read through pointers by the callees: compare them whole.
                var relevantStack = top && a.Stack.Length == 512 ? _shape.RelevantStack[resume] : ulong.MaxValue;
                if (!StackCovers(a, b, ids, exact, relevantStack))
                {
                    return false;
                }
            }
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

    private static bool RegisterCovers(in RegisterState old, in RegisterState now, Dictionary<int, int> ids, bool exact, bool valueMatters = true)
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
            // A number linked to copies on the old path must be linked the same way now.
            return !valueMatters || (now.Value.IsWithin(old.Value) && (old.Id == 0 || SameId(ids, old.Id, now.Id)));
        }
        if (old.Offset != now.Offset || old.Target != now.Target || !now.Value.IsWithin(old.Value))
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

    private static bool StackCovers(FrameState old, FrameState now, Dictionary<int, int> ids, bool exact, ulong relevantSlots = ulong.MaxValue)
    {
        var a = old.Stack;
        var b = now.Stack;
        if (a.AsSpan().SequenceEqual(b))
        {
            // The common case: the same bytes; only spilled registers need a closer look.
            for (var slot = 0; slot < old.SlotCount; slot++)
            {
                if (a[slot * 8] == StackByte.Spill
                    && !RegisterCovers(old.Spills[slot], now.Spills[slot], ids, exact, valueMatters: exact || (relevantSlots & (1UL << slot)) != 0))
                {
                    return false;
                }
            }
            return true;
        }
        for (var i = 0; i < a.Length; i++)
        {
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
                            if (!valueMatters && old.Spills[slot].IsScalar && isNow != StackByte.Invalid)
                            {
                                continue;
                            }
                            return false;
                        }
                        if (i % 8 == 0 && !RegisterCovers(old.Spills[slot], now.Spills[slot], ids, exact: false, valueMatters))
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
