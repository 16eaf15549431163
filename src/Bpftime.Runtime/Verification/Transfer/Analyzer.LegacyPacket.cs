using Bpftime.Diagnostics;
using Bpftime.Isa;
using Bpftime.Objects;

namespace Bpftime.Verification;

/// <summary>
/// Legacy packet loads (ld_abs, ld_ind), under Linux's rules: only in socket filter and tc (sched_cls,
/// sched_act) programs, whose context is the socket buffer; r6 must hold that context, unmoved. The load
/// itself checks the packet's bounds at run time and ends the program with r0 = 0 when it fails, so the
/// verifier proves no offset; it makes sure such an exit is clean (no spin lock or ring-buffer record
/// held) and that it ends the program rather than a subprogram or callback. r1-r5 are clobbered and r0
/// holds the loaded 1, 2 or 4 bytes.
/// </summary>
internal sealed partial class Analyzer
{
    private void ExecuteLegacyPacketLoad(VerifierState state, int pc, Instruction insn)
    {
        var text = ProgramValidator.DescribeLegacyPacketLoad(insn);
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
        var context = Use(state, 6, pc, "the socket buffer of a legacy packet load");
        if (context.Type != RegisterType.Context || context.Offset != 0 || context.HasVariableOffset)
        {
            throw new VerificationError(DiagnosticCodes.VerifierLegacyPacketLoad, pc,
                $"{text}: R6 must hold the context (the socket buffer, as r1 had it at entry) at a legacy packet load, but it is {Describe(context)}");
        }
        if (insn.MemoryMode == MemoryMode.Ind)
        {
            var offset = Use(state, insn.Src, pc, "the offset of ld_ind");
            if (!offset.IsScalar)
            {
                // The offset steers which bytes are read and whether the program ends: a pointer there would leak its bits.
                throw new VerificationError(DiagnosticCodes.VerifierPointerLeak, pc,
                    $"{text}: {R(insn.Src)} is {Describe(offset)}; the offset of ld_ind must be a number");
            }
        }
        var regs = state.Current.Registers;
        for (var r = 1; r <= 5; r++)
        {
            regs[r] = RegisterState.NotInitialized;
        }
        regs[0] = RegisterState.Scalar(LoadedWidth(insn.MemorySize.ByteCount()));
        state.Pc = pc + 1;
    }
}
