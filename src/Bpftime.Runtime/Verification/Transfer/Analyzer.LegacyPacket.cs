using Bpftime.Isa;

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
    /// <summary>Checked before (<see cref="LegacyPacketLoadAllowed"/> and the rest): r1-r5 are clobbered and r0 holds the loaded bytes.</summary>
    private static void ExecuteLegacyPacketLoad(VerifierState state, int pc, Instruction insn)
    {
        var regs = state.Current.Registers;
        for (var r = 1; r <= 5; r++)
        {
            regs[r] = RegisterState.NotInitialized;
        }
        regs[0] = RegisterState.Scalar(LoadedWidth(insn.MemorySize.ByteCount()));
        state.Pc = pc + 1;
    }
}
