using Bpftime.Diagnostics;
using Bpftime.Helpers;
using Bpftime.Objects;

namespace Bpftime.Verification;

/// <summary>
/// The checks of helper-argument assertions against a state: one per kind of argument a prototype
/// declares. Argument checks of memory the helper writes mark it written through the same access
/// function a store uses; the rest of the call's effect is its transfer function (Transfer/Analyzer.Calls.cs).
/// </summary>
internal sealed partial class Analyzer
{
    private void CheckArgument(VerifierState state, int pc, HelperArgumentAssertion assertion)
    {
        var value = state.Current.Registers[assertion.Register];
        switch (assertion)
        {
            case ArgumentInitialized initialized:
                Check(initialized, pc, value);
                break;
            case ScalarArgument scalar:
                RequireArgument(value.IsScalar, pc, scalar.Register, value, scalar.Role, "a number");
                break;
            case MapPointerArgument map:
                Check(map, pc, value);
                break;
            case MapKeyValueArgument keyOrValue:
                Check(keyOrValue, state, pc, value);
                break;
            case MemoryArgument memory:
                Check(memory, state, pc, value);
                break;
            case ContextArgument context:
                Check(context, pc, value);
                break;
            case CallbackContextArgument callbackContext:
                Check(callbackContext, pc, value);
                break;
            case HostArgument:
                // A host helper may use "anything" as a pointer and write through it.
                NoteEscapingReadOnlyData(value);
                break;
            case MapValueBufferArgument buffer:
                Check(buffer, state, pc, value);
                break;
            case ConstStringArgument constString:
                CheckConstString(pc, constString.Register, value, constString.Role);
                break;
            case RingBufferRecordArgument record:
                Check(record, state, pc, value);
                break;
            case FunctionArgument function:
                RequireArgument(value.Type == RegisterType.Function, pc, function.Register, value, function.Role, "a function of the program (a static callback)");
                _callFacts.Function = value;
                break;
            case StackSlotArgument slot:
                RequireArgument(value.Type == RegisterType.Stack, pc, slot.Register, value, slot.Role, "a pointer to the stack");
                AccessRegion(state, pc, slot.Register, value, 8, Access.Write, slot.Role);
                break;
            case SpinLockArgument spinLock:
                CheckLockArgument(pc, spinLock.Register, value, spinLock.Role);
                break;
            case SocketArgument socket:
                throw new VerificationError(DiagnosticCodes.VerifierUntrackedHelperPointer, pc,
                    $"{socket.HelperName} takes a socket pointer ({socket.Role}); the verifier does not track sockets, so programs that call it cannot be verified");
            case CopySourceArgument source:
                Check(source, state, pc, value);
                break;
            default:
                throw new InvalidOperationException($"no check for the assertion {assertion}");
        }
    }

    private static void Check(ArgumentInitialized assertion, int pc, in RegisterState value)
    {
        if (value.Type == RegisterType.NotInitialized)
        {
            throw new VerificationError(DiagnosticCodes.VerifierUninitializedRegister, pc,
                $"{R(assertion.Register)} is not initialised but is {assertion.Role} ({assertion.Expected})");
        }
    }

    private void Check(MapPointerArgument assertion, int pc, in RegisterState value)
    {
        RequireArgument(value.Type == RegisterType.MapPointer, pc, assertion.Register, value, assertion.Role, "a map (&map_name)");
        var map = value.Target;
        _callFacts.Map = map;
        var rule = _callRule!;
        CheckMapType(pc, rule, _maps[map]);
        if (rule.WritesMap && _maps[map].IsReadOnlyForPrograms)
        {
            throw new VerificationError(DiagnosticCodes.VerifierReadOnlyWrite, pc,
                $"{rule.Name} would change map '{_maps[map].Name}', which is read-only for programs ({_maps[map].Section ?? "BPF_F_RDONLY_PROG"})");
        }
    }

    private void Check(MapKeyValueArgument assertion, VerifierState state, int pc, in RegisterState value)
    {
        var map = _callFacts.Map;
        if (map < 0)
        {
            throw new VerificationError(DiagnosticCodes.VerifierInvalidHelperArgument, pc, $"{assertion.Role} needs a map argument before it");
        }
        var spec = _maps[map];
        var size = assertion.Key ? spec.KeySize : spec.ValueSize;
        RequireMemoryPointer(pc, assertion.Register, value, assertion.Role);
        AccessRegion(state, pc, assertion.Register, value, size, assertion.Writes ? Access.Write : Access.Read,
            $"{assertion.Role} (the {(assertion.Key ? "key" : "value")} of map '{spec.Name}', {size} bytes)");
    }

    private void Check(MapValueBufferArgument assertion, VerifierState state, int pc, in RegisterState value)
    {
        var map = _callFacts.Map;
        if (map < 0)
        {
            throw new VerificationError(DiagnosticCodes.VerifierInvalidHelperArgument, pc, $"{assertion.Role} needs a map argument before it");
        }
        RequireMemoryPointer(pc, assertion.Register, value, assertion.Role);
        AccessRegion(state, pc, assertion.Register, value, _maps[map].ValueSize, Access.Write, assertion.Role);
    }

    private void Check(MemoryArgument assertion, VerifierState state, int pc, in RegisterState value)
    {
        var register = assertion.Register;
        var role = assertion.Role;
        var regs = state.Current.Registers;
        var sizeRegister = assertion.SizeRegister;
        var sizeValue = assertion.HasSize ? regs[sizeRegister] : RegisterState.Constant(0);
        var maxSize = CheckSize(pc, sizeRegister, sizeValue, assertion.ZeroSizeAllowed || assertion.OrNull, _callRule!);
        if (assertion.OrNull && IsZero(value))
        {
            if (sizeValue.Value.UMax != 0)
            {
                throw new VerificationError(DiagnosticCodes.VerifierInvalidHelperSize, pc,
                    $"{R(register)} is null ({role}) but the size in {R(sizeRegister)} is {Describe(sizeValue)}; pass 0 as the size with a null pointer");
            }
            return;
        }
        RequireMemoryPointer(pc, register, value, role);
        // bpf_snprintf's data holds the pointers its %s conversions print from.
        var strings = assertion.FormatStrings ? StringArguments(regs[3]) : 0UL;
        switch (assertion.Use)
        {
            case MemoryUse.ReadWrite:
                // Read as given, then overwritten by the helper: spilled pointers there become numbers.
                AccessRegion(state, pc, register, value, maxSize, Access.Read, role);
                AccessRegion(state, pc, register, value, maxSize, Access.Write, role);
                break;
            case MemoryUse.Write:
                AccessRegion(state, pc, register, value, maxSize, Access.Write, role, strings);
                break;
            default:
                AccessRegion(state, pc, register, value, maxSize, Access.Read, role, strings);
                break;
        }
    }

    private void Check(ContextArgument assertion, int pc, in RegisterState value)
    {
        var unmovedContext = value.Type == RegisterType.Context && value.Offset == 0 && value.Value.IsConst && value.Value.ConstValue == 0;
        if (assertion.OrNull)
        {
            RequireArgument(IsZero(value) || unmovedContext, pc, assertion.Register, value, assertion.Role, "the context pointer (r1 at entry, unmoved), or 0");
        }
        else
        {
            RequireArgument(unmovedContext, pc, assertion.Register, value, assertion.Role, "the context pointer (r1 at entry, unmoved)");
        }
    }

    private void Check(CallbackContextArgument assertion, int pc, in RegisterState value)
    {
        if (assertion.StackOrNull)
        {
            RequireArgument(value.Type == RegisterType.Stack || IsZero(value), pc, assertion.Register, value, assertion.Role, "a pointer to the stack, or 0");
        }
        _callFacts.CallbackContext = value;
    }

    private void Check(RingBufferRecordArgument assertion, VerifierState state, int pc, in RegisterState value)
    {
        var register = assertion.Register;
        if (value.Type == RegisterType.RingBufferRecordOrNull)
        {
            throw new VerificationError(DiagnosticCodes.VerifierPossibleNullDereference, pc,
                $"{R(register)} is {Describe(value)}: check it against 0 before passing it to {assertion.HelperName}");
        }
        if (value.IsScalar && value.ReferenceId != 0)
        {
            throw new VerificationError(DiagnosticCodes.VerifierReleasedReference, pc,
                $"{R(register)} held a ring-buffer record that was already submitted or discarded; a record can be released only once");
        }
        RequireArgument(value.Type == RegisterType.RingBufferRecord, pc, register, value, assertion.Role, "a ring-buffer record from bpf_ringbuf_reserve");
        if (value.Offset != 0 || !value.Value.IsConst || value.Value.ConstValue != 0)
        {
            throw new VerificationError(DiagnosticCodes.VerifierInvalidHelperArgument, pc,
                $"{R(register)} is {Describe(value)}: pass the record exactly as reserve returned it, not a pointer into it");
        }
        var referenceId = value.ReferenceId;
        var held = state.References.FindIndex(r => r.Id == referenceId);
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
        _callFacts.Released = referenceId;
    }

    private void Check(CopySourceArgument assertion, VerifierState state, int pc, in RegisterState value)
    {
        if (value.Type == RegisterType.Stack)
        {
            // The bytes copied end up where the program can read or store them: numbers only.
            var rule = _callRule!;
            AccessRegion(state, pc, assertion.Register, value, CheckSize(pc, 2, state.Current.Registers[2], zeroAllowed: true, rule), Access.Read, assertion.Role);
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
}
