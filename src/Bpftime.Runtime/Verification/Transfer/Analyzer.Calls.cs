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

    private bool ExecuteExit(VerifierState state, int pc)
    {
        var frame = state.Current;
        var r0 = frame.Registers[0];
        var depth = state.CurrentFrame;
        // A void function may leave r0 unset; the caller then cannot read it.
        if (r0.Type == RegisterType.NotInitialized && (depth == 0 || frame.Callback != CallbackKind.None))
        {
            throw new VerificationError(DiagnosticCodes.VerifierUninitializedRegister, pc,
                "R0 is not initialised at exit: set the return value on every path");
        }
        if (state.LockHeldSince >= 0)
        {
            throw new VerificationError(DiagnosticCodes.VerifierSpinLockMisuse, pc,
                $"the {(depth == 0 ? "program" : frame.Callback != CallbackKind.None ? "callback" : "function")} exits holding the spin lock taken at instruction {state.LockHeldSince}; release it on every path before returning");
        }
        if (depth == 0)
        {
            if (r0.IsPointer)
            {
                throw new VerificationError(DiagnosticCodes.VerifierPointerReturned, pc,
                    $"R0 is {Describe(r0)} at exit: a program returns a number, returning a pointer would leak an address");
            }
            if (state.References.Count > 0)
            {
                var (_, reserved, _) = state.References[0];
                throw new VerificationError(DiagnosticCodes.VerifierUnreleasedReference, pc,
                    $"the ring-buffer record reserved at instruction {reserved} is neither submitted nor discarded on this path to exit; call bpf_ringbuf_submit or bpf_ringbuf_discard on every path");
            }
            return false;
        }

        if (r0.Type == RegisterType.Stack && r0.Target == depth)
        {
            throw new VerificationError(DiagnosticCodes.VerifierDanglingStackPointer, pc,
                $"R0 is {Describe(r0)} of the returning function: its stack is gone after the return");
        }
        if (frame.Callback != CallbackKind.None)
        {
            return ExitCallback(state, pc, frame, r0);
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
    private bool ExitCallback(VerifierState state, int pc, FrameState frame, RegisterState r0)
    {
        if (!r0.IsScalar || r0.Value.UMax > 1)
        {
            throw new VerificationError(DiagnosticCodes.VerifierInvalidCallback, pc,
                $"R0 is {Describe(r0)} when the callback returns; a callback must return 0 (go on) or 1 (stop)");
        }
        var depth = state.CurrentFrame;
        foreach (var (_, reserved, owner) in state.References)
        {
            if (owner == depth)
            {
                // The callback runs many times: a record it keeps would be reserved once per call and leak.
                throw new VerificationError(DiagnosticCodes.VerifierUnreleasedReference, pc,
                    $"the ring-buffer record reserved at instruction {reserved} in this callback is still held when it returns; the callback may run many times, so submit or discard the record before it returns");
            }
        }
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

    private void ExecuteHelperCall(VerifierState state, int pc, int id)
    {
        var rule = HelperCatalogue.Resolve(id, _options.Helpers);
        if (rule is null)
        {
            var known = HelperCatalogue.Find(id);
            throw new VerificationError(DiagnosticCodes.VerifierUnknownHelper, pc,
                known is not null
                    ? $"helper #{id} ({known.Name}) is not provided by the host's helper table '{_options.Helpers?.Name}'"
                    : $"helper #{id} is unknown: it is neither a Linux helper the verifier knows nor one the host provides");
        }
        if (_options.Helpers?.Find(id) is { ProvidedOnlyBy: { } grantingSet } standIn)
        {
            throw new VerificationError(DiagnosticCodes.VerifierUnknownHelper, pc,
                $"helper #{id} ({standIn.Name}) reads the host's memory, so the helper table '{_options.Helpers.Name}' does not grant it; only the \"{grantingSet}\" set does (BpfHelperSet={grantingSet})");
        }
        if (ReferenceEquals(rule, HelperCatalogue.Find(id)))
        {
            CheckOfferedToProgramType(pc, rule);
        }
        var regs = state.Current.Registers;
        var unchecked_ = ReferenceEquals(rule.Prototype, HelperPrototype.Unchecked);
        CheckLock(state, pc, id, rule);
        var arguments = rule.Prototype.Arguments;
        int map = -1;
        RegisterState function = default;
        RegisterState callbackContext = default;
        var released = 0;
        for (var k = 0; k < arguments.Count && !unchecked_; k++)
        {
            var register = k + 1;
            var kind = arguments[k];
            var value = regs[register];
            var role = $"argument {register} of {rule.Name}";
            if (value.Type == RegisterType.NotInitialized)
            {
                throw new VerificationError(DiagnosticCodes.VerifierUninitializedRegister, pc,
                    $"{R(register)} is not initialised but is {role} ({KindText(kind)})");
            }
            switch (kind)
            {
                case HelperArgumentKind.Anything:
                    if (rule.Callback != CallbackKind.None)
                    {
                        callbackContext = value;
                    }
                    else if (!ReferenceEquals(HelperCatalogue.Find(id), rule))
                    {
                        // A host helper may use "anything" as a pointer and write through it.
                        NoteEscapingReadOnlyData(value);
                    }
                    break;
                case HelperArgumentKind.StackPointerOrNull:
                    RequireArgument(value.Type == RegisterType.Stack || IsZero(value), pc, register, value, role, "a pointer to the stack, or 0");
                    callbackContext = value;
                    break;
                case HelperArgumentKind.SpinLock:
                    CheckLockArgument(pc, register, value, role);
                    break;
                case HelperArgumentKind.UninitializedMapValue:
                    {
                        if (map < 0)
                        {
                            throw new VerificationError(DiagnosticCodes.VerifierInvalidHelperArgument, pc, $"{role} needs a map argument before it");
                        }
                        RequireMemoryPointer(pc, register, value, role);
                        AccessRegion(state, pc, register, value, _maps[map].ValueSize, Access.Write, role);
                        break;
                    }
                case HelperArgumentKind.Scalar:
                case HelperArgumentKind.ConstSize:
                case HelperArgumentKind.ConstSizeOrZero:
                    RequireArgument(value.IsScalar, pc, register, value, role, "a number");
                    break;
                case HelperArgumentKind.ConstMapPointer:
                    RequireArgument(value.Type == RegisterType.MapPointer, pc, register, value, role, "a map (&map_name)");
                    map = value.Target;
                    CheckMapType(pc, rule, _maps[map]);
                    if (rule.WritesMap && _maps[map].IsReadOnlyForPrograms)
                    {
                        throw new VerificationError(DiagnosticCodes.VerifierReadOnlyWrite, pc,
                            $"{rule.Name} would change map '{_maps[map].Name}', which is read-only for programs ({_maps[map].Section ?? "BPF_F_RDONLY_PROG"})");
                    }
                    break;
                case HelperArgumentKind.MapKey:
                case HelperArgumentKind.MapValue:
                    {
                        if (map < 0)
                        {
                            throw new VerificationError(DiagnosticCodes.VerifierInvalidHelperArgument, pc, $"{role} needs a map argument before it");
                        }
                        var spec = _maps[map];
                        var size = kind == HelperArgumentKind.MapKey ? spec.KeySize : spec.ValueSize;
                        var write = kind == HelperArgumentKind.MapValue && rule.WritesMapValue;
                        RequireMemoryPointer(pc, register, value, role);
                        AccessRegion(state, pc, register, value, size, write ? Access.Write : Access.Read,
                            $"{role} (the {(kind == HelperArgumentKind.MapKey ? "key" : "value")} of map '{spec.Name}', {size} bytes)");
                        break;
                    }
                case HelperArgumentKind.Memory:
                case HelperArgumentKind.MemoryOrNull:
                case HelperArgumentKind.UninitializedMemory:
                case HelperArgumentKind.UninitializedMemoryOrNull:
                case HelperArgumentKind.MutableMemory:
                    {
                        var sizeRegister = register + 1;
                        var sizeValue = k + 1 < arguments.Count ? regs[sizeRegister] : RegisterState.Constant(0);
                        var zeroAllowed = k + 1 < arguments.Count && arguments[k + 1] == HelperArgumentKind.ConstSizeOrZero;
                        var orNull = kind is HelperArgumentKind.MemoryOrNull or HelperArgumentKind.UninitializedMemoryOrNull;
                        var maxSize = CheckSize(pc, sizeRegister, sizeValue, zeroAllowed || orNull, rule);
                        if (orNull && IsZero(value))
                        {
                            if (sizeValue.Value.UMax != 0)
                            {
                                throw new VerificationError(DiagnosticCodes.VerifierInvalidHelperSize, pc,
                                    $"{R(register)} is null ({role}) but the size in {R(sizeRegister)} is {Describe(sizeValue)}; pass 0 as the size with a null pointer");
                            }
                            break;
                        }
                        RequireMemoryPointer(pc, register, value, role);
                        // bpf_snprintf's data holds the pointers its %s conversions print from.
                        var strings = rule.Id == HelperIds.Snprintf && register == 4 ? StringArguments(regs[3]) : 0UL;
                        if (kind == HelperArgumentKind.MutableMemory)
                        {
                            // Read as given, then overwritten by the helper: spilled pointers there become numbers.
                            AccessRegion(state, pc, register, value, maxSize, Access.Read, role);
                            AccessRegion(state, pc, register, value, maxSize, Access.Write, role);
                            break;
                        }
                        var writes = kind is HelperArgumentKind.UninitializedMemory or HelperArgumentKind.UninitializedMemoryOrNull;
                        AccessRegion(state, pc, register, value, maxSize, writes ? Access.Write : Access.Read, role, strings);
                        break;
                    }
                case HelperArgumentKind.Context:
                    RequireArgument(value.Type == RegisterType.Context && value.Offset == 0 && value.Value.IsConst && value.Value.ConstValue == 0,
                        pc, register, value, role, "the context pointer (r1 at entry, unmoved)");
                    break;
                case HelperArgumentKind.ContextOrNull:
                    RequireArgument(IsZero(value) || (value.Type == RegisterType.Context && value.Offset == 0 && value.Value.IsConst && value.Value.ConstValue == 0),
                        pc, register, value, role, "the context pointer (r1 at entry, unmoved), or 0");
                    break;
                case HelperArgumentKind.Socket:
                    throw new VerificationError(DiagnosticCodes.VerifierUntrackedHelperPointer, pc,
                        $"{rule.Name} takes a socket pointer ({role}); the verifier does not track sockets, so programs that call it cannot be verified");
                case HelperArgumentKind.ConstString:
                    CheckConstString(pc, register, value, role);
                    break;
                case HelperArgumentKind.RingBufferRecord:
                    if (value.Type == RegisterType.RingBufferRecordOrNull)
                    {
                        throw new VerificationError(DiagnosticCodes.VerifierPossibleNullDereference, pc,
                            $"{R(register)} is {Describe(value)}: check it against 0 before passing it to {rule.Name}");
                    }
                    if (value.IsScalar && value.ReferenceId != 0)
                    {
                        throw new VerificationError(DiagnosticCodes.VerifierReleasedReference, pc,
                            $"{R(register)} held a ring-buffer record that was already submitted or discarded; a record can be released only once");
                    }
                    RequireArgument(value.Type == RegisterType.RingBufferRecord, pc, register, value, role, "a ring-buffer record from bpf_ringbuf_reserve");
                    if (value.Offset != 0 || !value.Value.IsConst || value.Value.ConstValue != 0)
                    {
                        throw new VerificationError(DiagnosticCodes.VerifierInvalidHelperArgument, pc,
                            $"{R(register)} is {Describe(value)}: pass the record exactly as reserve returned it, not a pointer into it");
                    }
                    var held = state.References.FindIndex(r => r.Id == value.ReferenceId);
                    if (held < 0)
                    {
                        throw new VerificationError(DiagnosticCodes.VerifierReleasedReference, pc,
                            $"{R(register)} is a ring-buffer record that was already submitted or discarded");
                    }
                    if (state.References[held].Owner != state.CallbackFrame)
                    {
                        // A callback runs 0 or many times: the record would stay busy or be released again.
                        throw new VerificationError(DiagnosticCodes.VerifierCallbackReleasesOuterReference, pc,
                            $"{R(register)} is the ring-buffer record reserved at instruction {state.References[held].Instruction} outside this callback; a callback runs 0 or many times, so release the record in the function that reserved it, after the loop");
                    }
                    released = value.ReferenceId;
                    break;
                case HelperArgumentKind.Function:
                    RequireArgument(value.Type == RegisterType.Function, pc, register, value, role, "a function of the program (a static callback)");
                    function = value;
                    break;
                case HelperArgumentKind.StackPointer:
                    RequireArgument(value.Type == RegisterType.Stack, pc, register, value, role, "a pointer to the stack");
                    AccessRegion(state, pc, register, value, 8, Access.Write, role);
                    break;
            }
        }

        if (unchecked_)
        {
            NoteUncheckedArguments(regs);
        }
        else if (rule.CopiesFromSource && regs[3].Type == RegisterType.Stack)
        {
            // The bytes copied end up where the program can read or store them: numbers only.
            AccessRegion(state, pc, 3, regs[3], CheckSize(pc, 2, regs[2], zeroAllowed: true, rule), Access.Read, $"argument 3 of {rule.Name} (the source)");
        }

        if (rule.SpinLockArgument)
        {
            CheckLockArgument(pc, 1, regs[1], $"argument 1 of {rule.Name} (the lock)");
        }
        TakeOrReleaseLock(state, pc, id, regs[1]);

        if (id == HelperIds.TailCall && state.References.Count > 0)
        {
            throw new VerificationError(DiagnosticCodes.VerifierTailCallWithReference, pc,
                $"a tail call while the ring-buffer record reserved at instruction {state.References[0].Instruction} is held would leak it; submit or discard it first");
        }

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

        var result = ResultOf(state, pc, rule, map, regs);
        if (rule.Callback != CallbackKind.None && function.Type == RegisterType.Function)
        {
            EnterCallback(state, pc, rule, function.Target, map, callbackContext);
            return;
        }
        regs[0] = result;
        for (var r = 1; r <= 5; r++)
        {
            regs[r] = RegisterState.NotInitialized;
        }
    }

    /// <summary>
    /// A lock argument points exactly at the struct bpf_spin_lock member of a writable map value, as the
    /// map's BTF declares it: any other 4 bytes could be written by the program or the host while locked
    /// (or never be 0), and the lock would spin for ever.
    /// </summary>
    private void CheckLockArgument(int pc, int register, in RegisterState value, string role)
    {
        RequireMemoryPointer(pc, register, value, role);
        RequireArgument(value.Type == RegisterType.MapValue && value.Value.IsConst, pc, register, value, role,
            "a pointer to a struct bpf_spin_lock inside a map value, at a constant offset");
        var map = _maps[value.Target];
        if (map.IsReadOnlyForPrograms)
        {
            throw new VerificationError(DiagnosticCodes.VerifierReadOnlyWrite, pc,
                $"{R(register)} is {Describe(value)}, {role}, but map '{map.Name}' is read-only for programs");
        }
        var offset = value.Offset + (long)value.Value.ConstValue;
        if (LockOffset(map) is not { } lockOffset)
        {
            throw new VerificationError(DiagnosticCodes.VerifierSpinLockMisuse, pc,
                $"{R(register)} is {Describe(value)}, {role}, but the value of map '{map.Name}' has no struct bpf_spin_lock member known from BTF; declare the map with __type(value, struct ...) whose struct holds a struct bpf_spin_lock, and pass its address");
        }
        if (offset != lockOffset)
        {
            throw new VerificationError(DiagnosticCodes.VerifierSpinLockMisuse, pc,
                $"{R(register)} is {Describe(value)}, {role}, but the struct bpf_spin_lock of map '{map.Name}' is at offset {lockOffset}; pass &value->lock");
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

    /// <summary>One spin lock at a time, released on every path, and no other calls while it is held.</summary>
    private static void CheckLock(VerifierState state, int pc, int id, HelperRule rule)
    {
        var held = state.LockHeldSince;
        switch (id)
        {
            case HelperIds.SpinLock when held >= 0:
                throw new VerificationError(DiagnosticCodes.VerifierSpinLockMisuse, pc,
                    $"a spin lock is taken while the one taken at instruction {held} is still held; release it first (one lock at a time)");
            case HelperIds.SpinLock:
                return;
            case HelperIds.SpinUnlock when held < 0:
                throw new VerificationError(DiagnosticCodes.VerifierSpinLockMisuse, pc, "bpf_spin_unlock without a held lock");
            case HelperIds.SpinUnlock:
                return;
            default:
                if (held >= 0)
                {
                    throw new VerificationError(DiagnosticCodes.VerifierSpinLockMisuse, pc,
                        $"{rule.Name} is called while holding the spin lock taken at instruction {held}; only bpf_spin_unlock may be called in a critical section");
                }
                return;
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

    /// <summary>
    /// Linux offers each helper to some program types only (its func_proto per type); a program whose
    /// context names its type may call no other. Helpers returning a pointer kind the verifier does not
    /// track are refused here too, before their arguments are looked at.
    /// </summary>
    private void CheckOfferedToProgramType(int pc, HelperRule rule)
    {
        if (_context.ProgramType is { } type && !rule.IsOfferedTo(type))
        {
            throw new VerificationError(DiagnosticCodes.VerifierHelperNotForProgramType, pc,
                $"{rule.Name} (#{rule.Id}) is not available to {type} programs; Linux offers it to {string.Join(", ", rule.ProgramTypes!.Order())} programs only");
        }
        if (rule.Prototype.Return == HelperReturnKind.UntrackedPointer)
        {
            throw new VerificationError(DiagnosticCodes.VerifierUntrackedHelperPointer, pc,
                $"{rule.Name} (#{rule.Id}) returns a pointer the verifier does not track (a socket or kernel object that must be checked and released); programs that call it cannot be verified");
        }
    }

    private static void CheckMapType(int pc, HelperRule rule, MapSpec map)
    {
        if ((rule.MapTypes.Count > 0 && !rule.MapTypes.Contains(map.Type)) || rule.RefusedMapTypes.Contains(map.Type))
        {
            var expected = rule.MapTypes.Count > 0 ? $"it needs {string.Join(" or ", rule.MapTypes)}" : $"it does not work on {map.Type}";
            throw new VerificationError(DiagnosticCodes.VerifierMapTypeMismatch, pc,
                $"{rule.Name} is given map '{map.Name}' of type {map.Type}: {expected}");
        }
    }

    private long CheckSize(int pc, int register, RegisterState size, bool zeroAllowed, HelperRule rule)
    {
        if (size.Type == RegisterType.NotInitialized)
        {
            throw new VerificationError(DiagnosticCodes.VerifierUninitializedRegister, pc, $"{R(register)} is not initialised but is the size argument of {rule.Name}");
        }
        if (!size.IsScalar)
        {
            throw new VerificationError(DiagnosticCodes.VerifierInvalidHelperArgument, pc, $"{R(register)} is {Describe(size)}, but {rule.Name} expects a size there");
        }
        if (size.Value.SMin < 0 || size.Value.UMax >= MaxOffset)
        {
            throw new VerificationError(DiagnosticCodes.VerifierInvalidHelperSize, pc,
                $"{R(register)} is {Describe(size)}: the size given to {rule.Name} has no useful upper bound; compare it with the buffer's size first");
        }
        if (!zeroAllowed && size.Value.UMin == 0)
        {
            throw new VerificationError(DiagnosticCodes.VerifierInvalidHelperSize, pc,
                $"{R(register)} is {Describe(size)}: the size given to {rule.Name} may be zero, which it does not accept");
        }
        return (long)size.Value.UMax;
    }

    private void RequireArgument(bool ok, int pc, int register, in RegisterState value, string role, string expected)
    {
        if (!ok)
        {
            var code = value.Type.IsNullable() ? DiagnosticCodes.VerifierPossibleNullDereference : DiagnosticCodes.VerifierInvalidHelperArgument;
            throw new VerificationError(code, pc, $"{R(register)} is {Describe(value)}, but {role} must be {expected}");
        }
    }

    private void RequireMemoryPointer(int pc, int register, in RegisterState value, string role)
    {
        if (value.Type.IsNullable())
        {
            throw new VerificationError(DiagnosticCodes.VerifierPossibleNullDereference, pc,
                $"{R(register)} is {Describe(value)}: check it against 0 before passing it as {role}");
        }
        if (value.Type is not (RegisterType.Stack or RegisterType.MapValue or RegisterType.Packet or RegisterType.PacketMeta
            or RegisterType.RingBufferRecord or RegisterType.Memory or RegisterType.Context))
        {
            throw new VerificationError(DiagnosticCodes.VerifierInvalidHelperArgument, pc,
                $"{R(register)} is {Describe(value)}, but {role} must point to memory (stack, map value, packet or record)");
        }
    }

    private void CheckConstString(int pc, int register, in RegisterState value, string role)
    {
        if (value.Type != RegisterType.MapValue || !_maps[value.Target].IsReadOnlyForPrograms)
        {
            throw new VerificationError(DiagnosticCodes.VerifierInvalidHelperArgument, pc,
                $"{R(register)} is {Describe(value)}, but {role} must be a constant string in read-only data (a string literal or a const char array)");
        }
        var map = _maps[value.Target];
        if (!value.Value.IsConst)
        {
            throw new VerificationError(DiagnosticCodes.VerifierInvalidHelperArgument, pc, $"{R(register)} is {Describe(value)}: a constant string needs a constant offset");
        }
        var start = value.Offset + (long)value.Value.ConstValue;
        if (start < 0 || start >= map.ValueSize)
        {
            throw new VerificationError(DiagnosticCodes.VerifierMapValueOutOfBounds, pc, $"{R(register)} is {Describe(value)}: outside map '{map.Name}'");
        }
        if (map.InitialValue is { } initial && initial.Span[(int)Math.Min(start, initial.Length)..].IndexOf((byte)0) < 0 && start + initial.Length - start >= map.ValueSize)
        {
            throw new VerificationError(DiagnosticCodes.VerifierInvalidHelperArgument, pc,
                $"{R(register)} points at a string in '{map.Name}' that is not NUL-terminated");
        }
    }

    /// <summary>
    /// Which 8-byte entries of bpf_snprintf's data array its constant format prints with %s (bit i:
    /// entry i): those may hold pointers, which the helper reads as strings rather than printing them.
    /// </summary>
    private ulong StringArguments(in RegisterState format)
    {
        if (format.Type != RegisterType.MapValue || !format.Value.IsConst || !_options.AssumeFrozenReadOnlyData
            || _maps[format.Target] is not { IsReadOnlyForPrograms: true, InitialValue: { } initial })
        {
            return 0;
        }
        var start = format.Offset + (long)format.Value.ConstValue;
        if (start < 0 || start >= initial.Length)
        {
            return 0;
        }
        var text = initial.Span[(int)start..];
        var strings = 0UL;
        var argument = 0;
        for (var i = 0; i < text.Length && text[i] != 0 && argument < 64; i++)
        {
            if (text[i] != (byte)'%')
            {
                continue;
            }
            if (i + 1 < text.Length && text[i + 1] == (byte)'%')
            {
                i++;
                continue;
            }
            // Flags, width, precision and length modifiers, then the conversion letter.
            var j = i + 1;
            while (j < text.Length && text[j] != 0 && "-+ #0123456789.lhz".Contains((char)text[j], StringComparison.Ordinal))
            {
                j++;
            }
            if (j < text.Length && text[j] == (byte)'s')
            {
                strings |= 1UL << argument;
            }
            argument++;
            i = j;
        }
        return strings;
    }

    private static string KindText(HelperArgumentKind kind) => kind switch
    {
        HelperArgumentKind.ConstMapPointer => "a map",
        HelperArgumentKind.MapKey => "a pointer to the key",
        HelperArgumentKind.MapValue => "a pointer to the value",
        HelperArgumentKind.Memory or HelperArgumentKind.MemoryOrNull => "a pointer to memory",
        HelperArgumentKind.UninitializedMemory or HelperArgumentKind.UninitializedMemoryOrNull => "a pointer to a buffer",
        HelperArgumentKind.MutableMemory => "a pointer to initialised memory the helper updates",
        HelperArgumentKind.ContextOrNull => "the context or 0",
        HelperArgumentKind.Socket => "a socket",
        HelperArgumentKind.ConstSize or HelperArgumentKind.ConstSizeOrZero => "a size",
        HelperArgumentKind.Context => "the context",
        HelperArgumentKind.ConstString => "a constant string",
        HelperArgumentKind.RingBufferRecord => "a ring-buffer record",
        HelperArgumentKind.Function => "a callback",
        _ => "a value",
    };
}
