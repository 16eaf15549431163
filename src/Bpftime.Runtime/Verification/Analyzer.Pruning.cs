using Bpftime.Diagnostics;

namespace Bpftime.Verification;

internal sealed partial class Analyzer
{
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
        foreach (var checkpoint in kept)
        {
            if (checkpoint.Branches == 0)
            {
                if (Covers(checkpoint.State, state, exact: false))
                {
                    return true;
                }
            }
            else if (Covers(checkpoint.State, state, exact: true))
            {
                throw new VerificationError(DiagnosticCodes.VerifierInfiniteLoop, pc,
                    "an infinite loop: execution comes back here in exactly the state it had before, so it never ends; make the loop condition depend on a value that changes");
            }
        }
        var copy = state.Clone();
        var added = new Checkpoint(copy, state.Parent);
        copy.Parent = null;
        kept.Add(added);
        state.Parent = added;
        _stored++;
        _peakStored = Math.Max(_peakStored, _stored);
        return false;
    }

    /// <summary>
    /// True when every concrete state <paramref name="now"/> stands for is one <paramref name="old"/>
    /// stands for too (or, with <paramref name="exact"/>, when they are the same), looking only at
    /// registers that are live.
    /// </summary>
    private bool Covers(VerifierState old, VerifierState now, bool exact)
    {
        if (old.Frames.Count != now.Frames.Count || old.References.Count != now.References.Count)
        {
            return false;
        }
        var ids = new Dictionary<int, int>();
        for (var f = 0; f < old.Frames.Count; f++)
        {
            var a = old.Frames[f];
            var b = now.Frames[f];
            if (a.FunctionStart != b.FunctionStart || a.CallSite != b.CallSite || !ReferenceEquals(a.CallbackEntry, b.CallbackEntry))
            {
                return false;
            }
            var live = f == old.Frames.Count - 1
                ? _shape.LiveIn[now.Pc]
                : (ushort)(_shape.LiveIn[old.Frames[f + 1].CallSite + 1] & ~0b11_1111);
            for (var r = 0; r < FrameState.RegisterCount; r++)
            {
                if ((live & (1 << r)) == 0 && r != FramePointer)
                {
                    continue;
                }
                if (!RegisterCovers(a.Registers[r], b.Registers[r], ids, exact))
                {
                    return false;
                }
            }
            if (!StackCovers(a, b, ids, exact))
            {
                return false;
            }
        }
        for (var i = 0; i < old.References.Count; i++)
        {
            if (!SameId(ids, old.References[i].Id, now.References[i].Id))
            {
                return false;
            }
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

    private static bool RegisterCovers(in RegisterState old, in RegisterState now, Dictionary<int, int> ids, bool exact)
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
            return now.Value.IsWithin(old.Value);
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
                return old.Range == now.Range && SameId(ids, old.Id, now.Id) && SameId(ids, old.ReferenceId, now.ReferenceId);
            case RegisterType.RingBufferRecord:
                return old.Range == now.Range && SameId(ids, old.ReferenceId, now.ReferenceId);
            case RegisterType.Memory:
                return old.Range == now.Range;
            default:
                return true;
        }
    }

    private static bool StackCovers(FrameState old, FrameState now, Dictionary<int, int> ids, bool exact)
    {
        var a = old.Stack;
        var b = now.Stack;
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
                    if (isNow == StackByte.Zero)
                    {
                        continue;
                    }
                    if (isNow == StackByte.Spill && now.Spills[i / 8].IsConstant && now.Spills[i / 8].Value.ConstValue == 0)
                    {
                        continue;
                    }
                    return false;
                default:
                    if (isNow != StackByte.Spill)
                    {
                        return false;
                    }
                    if (i % 8 == 0 && !RegisterCovers(old.Spills[i / 8], now.Spills[i / 8], ids, exact: false))
                    {
                        return false;
                    }
                    continue;
            }
        }
        return true;
    }
}
