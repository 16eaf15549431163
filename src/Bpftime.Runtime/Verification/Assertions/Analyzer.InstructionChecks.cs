using Bpftime.Diagnostics;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Objects;

namespace Bpftime.Verification;

/// <summary>The checks of exit, legacy packet load and atomic assertions; their transfers only change the state.</summary>
internal sealed partial class Analyzer
{
    private static void CheckReturnValueSet(VerifierState state, int pc)
    {
        var frame = state.Current;
        // A void function may leave r0 unset; the caller then cannot read it.
        if (frame.Registers[0].Type == RegisterType.NotInitialized && (state.CurrentFrame == 0 || frame.Callback != CallbackKind.None))
        {
            throw new VerificationError(DiagnosticCodes.VerifierUninitializedRegister, pc,
                "R0 is not initialised at exit: set the return value on every path");
        }
    }

    private static void CheckLockReleasedAtExit(VerifierState state, int pc)
    {
        if (state.LockHeldSince >= 0)
        {
            var depth = state.CurrentFrame;
            throw new VerificationError(DiagnosticCodes.VerifierSpinLockMisuse, pc,
                $"the {(depth == 0 ? "program" : state.Current.Callback != CallbackKind.None ? "callback" : "function")} exits holding the spin lock taken at instruction {state.LockHeldSince}; release it on every path before returning");
        }
    }

    private void CheckReturnValueKind(VerifierState state, int pc)
    {
        var frame = state.Current;
        var r0 = frame.Registers[0];
        var depth = state.CurrentFrame;
        if (depth == 0)
        {
            if (r0.IsPointer)
            {
                throw new VerificationError(DiagnosticCodes.VerifierPointerReturned, pc,
                    $"R0 is {Describe(r0)} at exit: a program returns a number, returning a pointer would leak an address");
            }
            return;
        }
        if (r0.Type == RegisterType.Stack && r0.Target == depth)
        {
            throw new VerificationError(DiagnosticCodes.VerifierDanglingStackPointer, pc,
                $"R0 is {Describe(r0)} of the returning function: its stack is gone after the return");
        }
        if (frame.Callback != CallbackKind.None && (!r0.IsScalar || r0.Value.UMax > 1))
        {
            throw new VerificationError(DiagnosticCodes.VerifierInvalidCallback, pc,
                $"R0 is {Describe(r0)} when the callback returns; a callback must return 0 (go on) or 1 (stop)");
        }
    }

    private static void CheckReferencesReleasedAtExit(VerifierState state, int pc)
    {
        var depth = state.CurrentFrame;
        if (depth == 0 && state.References.Count > 0)
        {
            var (_, reserved, _) = state.References[0];
            throw new VerificationError(DiagnosticCodes.VerifierUnreleasedReference, pc,
                $"the ring-buffer record reserved at instruction {reserved} is neither submitted nor discarded on this path to exit; call bpf_ringbuf_submit or bpf_ringbuf_discard on every path");
        }
        if (depth == 0 || state.Current.Callback == CallbackKind.None)
        {
            return;
        }
        foreach (var (_, reserved, owner) in state.References)
        {
            if (owner == depth)
            {
                // The callback runs many times: a record it keeps would be reserved once per call and leak.
                throw new VerificationError(DiagnosticCodes.VerifierUnreleasedReference, pc,
                    $"the ring-buffer record reserved at instruction {reserved} in this callback is still held when it returns; the callback may run many times, so submit or discard the record before it returns");
            }
        }
    }

    private void CheckLegacyPacketLoadAllowed(VerifierState state, int pc)
    {
        var text = ProgramValidator.DescribeLegacyPacketLoad(_code[pc]);
        var type = _info?.Type ?? ProgramType.Unspecified;
        if (type is not (ProgramType.SocketFilter or ProgramType.SchedClassifier or ProgramType.SchedAction))
        {
            throw new VerificationError(DiagnosticCodes.VerifierLegacyPacketLoad, pc,
                $"{text}: legacy packet loads (ld_abs, ld_ind) are allowed only in socket filter and tc (sched_cls, sched_act) programs, whose context is the socket buffer; this program's type is {type}. Read the packet through the context's data and data_end instead");
        }
        if (state.Frames.Count > 1)
        {
            throw new VerificationError(DiagnosticCodes.VerifierLegacyPacketLoad, pc,
                $"{text}: a legacy packet load that fails ends the whole program, so it may appear only in the program's own code, not in a subprogram or callback");
        }
        if (state.LockHeldSince >= 0)
        {
            throw new VerificationError(DiagnosticCodes.VerifierLegacyPacketLoad, pc,
                $"{text}: a legacy packet load may end the program, which must not happen while the spin lock taken at {state.LockHeldSince} is held; unlock first");
        }
        if (state.References.Count > 0)
        {
            throw new VerificationError(DiagnosticCodes.VerifierLegacyPacketLoad, pc,
                $"{text}: a legacy packet load may end the program, which would leak the ring-buffer record reserved at {state.References[0].Instruction}; submit or discard it first");
        }
    }

    private void CheckLegacyPacketSocketBuffer(VerifierState state, int pc)
    {
        var context = Use(state, 6, pc, "the socket buffer of a legacy packet load");
        if (context.Type != RegisterType.Context || context.Offset != 0 || context.HasVariableOffset)
        {
            throw new VerificationError(DiagnosticCodes.VerifierLegacyPacketLoad, pc,
                $"{ProgramValidator.DescribeLegacyPacketLoad(_code[pc])}: R6 must hold the context (the socket buffer, as r1 had it at entry) at a legacy packet load, but it is {Describe(context)}");
        }
    }

    private void Check(VerifierState state, int pc, LegacyPacketOffset assertion)
    {
        var offset = Use(state, assertion.Register, pc, "the offset of ld_ind");
        if (!offset.IsScalar)
        {
            // The offset steers which bytes are read and whether the program ends: a pointer there would leak its bits.
            throw new VerificationError(DiagnosticCodes.VerifierPointerLeak, pc,
                $"{ProgramValidator.DescribeLegacyPacketLoad(_code[pc])}: {R(assertion.Register)} is {Describe(offset)}; the offset of ld_ind must be a number");
        }
    }

    private void Check(VerifierState state, int pc, AtomicOperand assertion)
    {
        var value = ReadRegister(state, assertion.Register);
        if (!value.IsScalar)
        {
            throw new VerificationError(DiagnosticCodes.VerifierPointerLeak, pc,
                $"{R(assertion.Register)} is {Describe(value)}: atomic operations take numbers, not pointers");
        }
    }

    private void Check(VerifierState state, int pc, AtomicTarget assertion)
    {
        var pointer = ReadRegister(state, assertion.Register);
        if (pointer.Type is not (RegisterType.Stack or RegisterType.MapValue or RegisterType.RingBufferRecord)
            && pointer.IsPointer && !pointer.Type.IsNullable())
        {
            throw new VerificationError(DiagnosticCodes.VerifierInvalidAtomic, pc,
                $"{R(assertion.Register)} is {Describe(pointer)}: atomic operations work only on the stack, map values and ring-buffer records");
        }
    }

    private void CheckCmpxchgExpected(VerifierState state, int pc)
    {
        var expected = Use(state, 0, pc, "the expected value of cmpxchg");
        if (!expected.IsScalar)
        {
            throw new VerificationError(DiagnosticCodes.VerifierPointerLeak, pc, $"R0 is {Describe(expected)}: cmpxchg compares numbers, not pointers");
        }
    }
}
