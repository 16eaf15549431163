using Bpftime.Diagnostics;
using Bpftime.Helpers;
using Bpftime.Objects;

namespace Bpftime.Verification;

internal sealed partial class Analyzer
{
    /// <summary>A bpf-to-bpf call or a callback: a new frame with r1-r5 as arguments and its own stack.</summary>
    private void EnterFunction(VerifierState state, int pc, int target, CallbackKind callback, RegisterState[]? arguments, long calls = 1)
    {
        if (target < 0 || target >= _code.Length || _shape.FunctionOf[target] != target)
        {
            throw new VerificationError(DiagnosticCodes.VerifierJumpOutOfFunction, pc, $"the call target {target} is not the start of a function");
        }
        if (state.LockHeldSince >= 0)
        {
            throw new VerificationError(DiagnosticCodes.VerifierSpinLockMisuse, pc,
                $"a function is called while holding the spin lock taken at instruction {state.LockHeldSince}; release it first");
        }
        if (state.Frames.Count >= _options.MaxCallDepth)
        {
            throw new VerificationError(DiagnosticCodes.VerifierCallDepthExceeded, pc,
                $"this call would be {state.Frames.Count + 1} frames deep; at most {_options.MaxCallDepth} are allowed (the program's own included); inline some functions");
        }
        foreach (var frame in state.Frames)
        {
            if (frame.FunctionStart == target)
            {
                throw new VerificationError(DiagnosticCodes.VerifierRecursiveCall, pc,
                    $"the function at {target} is already running in this call chain: recursion cannot be bounded; turn it into a loop");
            }
        }
        var caller = state.Current;
        // A function called from a callback runs as often as the callback.
        var callee = new FrameState(_options.FrameStackSize, target, pc) { Callback = callback, Calls = callback == CallbackKind.None ? state.Current.Calls : calls };
        for (var r = 1; r <= 5; r++)
        {
            callee.Registers[r] = arguments is null ? caller.Registers[r] : arguments[r];
        }
        callee.Registers[FramePointer] = RegisterState.Pointer(RegisterType.Stack, target: state.Frames.Count);
        state.Frames.Add(callee);
        if (!_stackDepth.ContainsKey(target))
        {
            _stackDepth[target] = 0;
        }
        state.Pc = target;
    }

    /// <summary>Checked before (<see cref="ReturnValueSet"/> and the rest): ends the path, or returns to the caller.</summary>
    private bool ExecuteExit(VerifierState state, int pc)
    {
        var frame = state.Current;
        var r0 = frame.Registers[0];
        var depth = state.CurrentFrame;
        if (depth == 0)
        {
            return false;
        }
        if (frame.Callback != CallbackKind.None)
        {
            return ExitCallback(state, pc, frame);
        }
        state.Frames.RemoveAt(depth);
        CheckNoDanglingPointers(state, pc, depth);
        var caller = state.Current;
        caller.Registers[0] = r0;
        for (var r = 1; r <= 5; r++)
        {
            caller.Registers[r] = RegisterState.NotInitialized;
        }
        state.Pc = frame.CallSite + 1;
        return true;
    }

    /// <summary>Pointers into a frame that just returned must not survive in the callers.</summary>
    private static void CheckNoDanglingPointers(VerifierState state, int pc, int goneFrame)
    {
        var dangling = false;
        state.ForEachRegister((ref RegisterState r) =>
        {
            if (r.Type == RegisterType.Stack && r.Target >= goneFrame)
            {
                dangling = true;
            }
        });
        if (dangling)
        {
            throw new VerificationError(DiagnosticCodes.VerifierDanglingStackPointer, pc,
                "a pointer into the returning function's stack was stored in a caller's frame; it would dangle after the return");
        }
    }

    /// <summary>
    /// A callback returns to its helper, which may call it again. The callers' state after one more
    /// call is joined with the state before; when the join adds nothing the loop is at a fixpoint and
    /// the helper's caller goes on; otherwise the callback runs again from the joined state.
    /// </summary>
    private bool ExitCallback(VerifierState state, int pc, FrameState frame)
    {
        var depth = state.CurrentFrame;
        state.Frames.RemoveAt(depth);
        CheckNoDanglingPointers(state, pc, depth);
        var entry = frame.CallbackEntry!;
        var changed = false;
        for (var f = 0; f < depth; f++)
        {
            JoinStack(state.Frames[f], entry.Frames[f]);
            changed |= !StackCovers(entry.Frames[f], state.Frames[f], [], exact: false);
        }
        if (changed)
        {
            // Run the callback once more from the widened state.
            var again = entry.Clone();
            for (var f = 0; f < depth; f++)
            {
                again.Frames[f] = state.Frames[f].Clone();
            }
            again.References.Clear();
            again.References.AddRange(state.References);
            again.Pc = frame.FunctionStart;
            again.Parent = state.Parent;
            again.Current.CallbackEntry = again.Clone();
            Push(again);
        }
        var caller = state.Current;
        caller.Registers[0] = RegisterState.Unknown;
        for (var r = 1; r <= 5; r++)
        {
            caller.Registers[r] = RegisterState.NotInitialized;
        }
        state.Pc = frame.CallSite + 1;
        return true;
    }

    /// <summary>Widens <paramref name="current"/>'s stack to cover <paramref name="before"/>'s too.</summary>
    private static void JoinStack(FrameState current, FrameState before)
    {
        var stack = current.Stack;
        for (var slot = 0; slot < current.SlotCount; slot++)
        {
            var start = slot * 8;
            var sameSpill = stack[start] == StackByte.Spill && before.Stack[start] == StackByte.Spill;
            if (sameSpill)
            {
                var now = current.Spills[slot];
                var was = before.Spills[slot];
                if (now.Equals(was))
                {
                    continue;
                }
                if (now.IsScalar && was.IsScalar)
                {
                    current.Spills[slot] = RegisterState.Unknown;
                    continue;
                }
                stack.AsSpan(start, 8).Fill(StackByte.Misc);
                current.Spills[slot] = default;
                continue;
            }
            for (var i = start; i < start + 8; i++)
            {
                var now = stack[i];
                var was = before.Stack[i];
                if (now == was)
                {
                    continue;
                }
                if (now == StackByte.Spill)
                {
                    stack.AsSpan(start, 8).Fill(StackByte.Misc);
                    current.Spills[slot] = default;
                    now = StackByte.Misc;
                }
                stack[i] = was == StackByte.Invalid || now == StackByte.Invalid ? StackByte.Invalid : StackByte.Misc;
            }
        }
    }

    /// <summary>
    /// A helper call whose assertions (<see cref="AssertionExtractor"/>) held: releases the record it
    /// releases, takes or drops the lock, makes packet pointers stale when it moves packet data, and
    /// sets r0 from the result kind (or enters the callback); r1-r5 are then unset.
    /// </summary>
    private void ExecuteHelperCall(VerifierState state, int pc, int id)
    {
        var rule = _callRule!;
        var facts = _callFacts;
        var regs = state.Current.Registers;
        if (ReferenceEquals(rule.Prototype, HelperPrototype.Unchecked))
        {
            NoteUncheckedArguments(regs);
        }
        TakeOrReleaseLock(state, pc, id, regs[1]);

        var released = facts.Released;
        if (released != 0)
        {
            state.References.RemoveAll(r => r.Id == released);
            state.ForEachRegister((ref RegisterState r) =>
            {
                if (r.ReferenceId == released)
                {
                    // Still marked, so that a later use can be named as a use after release.
                    r = RegisterState.Unknown with { ReferenceId = released };
                }
            });
        }
        if (rule.ChangesPacketData)
        {
            // A new packet: relations to the old one's length no longer hold for it.
            state.PacketLength = 0;
            state.ForEachRegister((ref RegisterState r) =>
            {
                if (r.Type is RegisterType.Packet or RegisterType.PacketEnd or RegisterType.PacketMeta)
                {
                    r = RegisterState.Unknown;
                }
            });
        }

        var result = ResultOf(state, pc, rule, facts.Map, regs);
        if (rule.Callback != CallbackKind.None && facts.Function.Type == RegisterType.Function)
        {
            EnterCallback(state, pc, rule, facts.Function.Target, facts.Map, facts.CallbackContext);
            return;
        }
        regs[0] = result;
        for (var r = 1; r <= 5; r++)
        {
            regs[r] = RegisterState.NotInitialized;
        }
    }

    /// <summary>The offset of the map value's bpf_spin_lock, when BTF declares one inside the value.</summary>
    private static int? LockOffset(MapSpec map) =>
        map.SpinLockOffset is { } offset && offset >= 0 && offset + 4 <= map.ValueSize ? offset : null;

    /// <summary>Bytes [<paramref name="from"/>, <paramref name="to"/>) of a map value touch its spin lock.</summary>
    private static bool TouchesLock(MapSpec map, long from, long to) =>
        LockOffset(map) is { } offset && from < offset + 4 && to > offset;

    /// <summary>Records the lock taken or checks that the one released is the one held.</summary>
    private void TakeOrReleaseLock(VerifierState state, int pc, int id, in RegisterState pointer)
    {
        var identity = (pointer.Target, pointer.Id);
        if (id == HelperIds.SpinLock)
        {
            state.LockHeldSince = pc;
            state.Lock = identity;
        }
        else if (id == HelperIds.SpinUnlock)
        {
            if (state.Lock != identity)
            {
                throw new VerificationError(DiagnosticCodes.VerifierSpinLockMisuse, pc,
                    $"bpf_spin_unlock releases a lock in map '{MapName(pointer.Target)}' other than the one taken at instruction {state.LockHeldSince} (in map '{MapName(state.Lock.Map)}'); unlock through the same pointer that was locked");
            }
            state.LockHeldSince = -1;
            state.Lock = default;
        }
    }

    /// <summary>Read-only data handed to a helper without a prototype may be written by it: stop folding it.</summary>
    private void NoteUncheckedArguments(RegisterState[] regs)
    {
        if (!_options.AssumeFrozenReadOnlyData)
        {
            return;
        }
        for (var r = 1; r <= 5; r++)
        {
            NoteEscapingReadOnlyData(regs[r]);
        }
    }

    private void NoteEscapingReadOnlyData(in RegisterState value)
    {
        if (_options.AssumeFrozenReadOnlyData && value.Type is RegisterType.MapValue or RegisterType.MapPointer
            && value.Target < _maps.Count && _maps[value.Target].IsReadOnlyForPrograms)
        {
            throw new ReadOnlyDataEscapes();
        }
    }

    private void EnterCallback(VerifierState state, int pc, HelperRule rule, int target, int map, RegisterState context)
    {
        var arguments = new RegisterState[6];
        // bpf_loop runs the callback at most nr_loops times (and never more than the helper's cap);
        // for_each_map_elem once per element.
        var count = rule.Callback == CallbackKind.Loop
            ? (long)Math.Min(state.Current.Registers[1].IsScalar ? state.Current.Registers[1].Value.UMax : ulong.MaxValue, LoopHelpers.MaxLoops)
            : _maps[map].MaxEntries;
        var outer = state.Current.Calls;
        var calls = count == 0 ? outer : (outer > long.MaxValue / count ? long.MaxValue : outer * count);
        if (outer > 1 && calls > _options.MaxNestedCallbackCalls)
        {
            throw new VerificationError(DiagnosticCodes.VerifierNestedCallbacksTooLong, pc,
                $"{rule.Name} runs its callback up to {count} times here, inside callbacks that already run up to {outer} times: {(calls == long.MaxValue ? "more than 2^63" : calls.ToString(System.Globalization.CultureInfo.InvariantCulture))} calls in all, more than the {_options.MaxNestedCallbackCalls} allowed for nested callback loops (the run would not end in reasonable time); bound the counts with small constants");
        }
        if (rule.Callback == CallbackKind.Loop)
        {
            arguments[1] = RegisterState.Scalar(ScalarRange.UnsignedRange(0, uint.MaxValue));
            arguments[2] = context;
        }
        else
        {
            var spec = _maps[map];
            arguments[1] = RegisterState.Pointer(RegisterType.MapPointer, target: map);
            arguments[2] = RegisterState.Pointer(RegisterType.Memory) with { Range = (int)spec.KeySize };
            // Each call gets another element: its own id (a lock taken through it is that element's).
            arguments[3] = RegisterState.Pointer(RegisterType.MapValue, target: map) with { Id = NewId() };
            arguments[4] = context;
        }
        EnterFunction(state, pc, target, rule.Callback, arguments, calls);
        state.Current.CallbackEntry = state.Clone();
    }

    private RegisterState ResultOf(VerifierState state, int pc, HelperRule rule, int map, RegisterState[] regs)
    {
        switch (rule.Prototype.Return)
        {
            case HelperReturnKind.MapValueOrNull when map >= 0 && _maps[map].Type is MapType.ArrayOfMaps or MapType.HashOfMaps:
                if (!_innerMaps.TryGetValue(map, out var inner))
                {
                    throw new VerificationError(DiagnosticCodes.VerifierMapTypeMismatch, pc,
                        $"map '{_maps[map].Name}' holds maps, but the object does not declare their layout (__array(values, ...)); the result cannot be checked");
                }
                return RegisterState.Pointer(RegisterType.MapPointerOrNull, target: inner) with { Id = NewId() };
            case HelperReturnKind.MapValueOrNull when map >= 0:
                return RegisterState.Pointer(RegisterType.MapValueOrNull, target: map) with { Id = NewId() };
            case HelperReturnKind.RingBufferRecordOrNull:
                {
                    var size = regs[2];
                    if (!size.IsConstant || size.Value.ConstValue == 0 || size.Value.ConstValue > MaxOffset)
                    {
                        throw new VerificationError(DiagnosticCodes.VerifierInvalidHelperSize, pc,
                            $"R2 is {Describe(size)}: the size of a ring-buffer record must be a non-zero constant");
                    }
                    var reference = NewId();
                    state.References.Add((reference, pc, state.CallbackFrame));
                    return RegisterState.Pointer(RegisterType.RingBufferRecordOrNull) with { Id = NewId(), ReferenceId = reference, Range = (int)size.Value.ConstValue };
                }
            default:
                return rule.ReturnsU32 ? RegisterState.Scalar(ScalarRange.UnsignedRange(0, uint.MaxValue)) : RegisterState.Unknown;
        }
    }
}
