using Bpftime.Diagnostics;

namespace Bpftime.Isa;

/// <summary>
/// The legacy packet loads of RFC 9669 (ld_abs, ld_ind: BPF_LD with mode ABS or IND, sizes B, H, W):
/// r0 = the big-endian value at packet offset imm (plus src for ld_ind) of the socket buffer r6 points to;
/// r1-r5 are clobbered, and a load outside the packet ends the program with r0 = 0. Structurally they are
/// valid instructions (Linux's field rules: dst 0, offset 0, src 0 for ld_abs); the verifier allows them
/// only where Linux does, and the engines run them only for programs loaded for a socket buffer, refusing
/// them at load time on any other context.
/// </summary>
public static partial class ProgramValidator
{
    /// <summary>Whether <paramref name="insn"/> is ld_abs or ld_ind (any size but DW, which does not exist).</summary>
    public static bool IsLegacyPacketLoad(Instruction insn) =>
        insn.Class == InstructionClass.Ld && insn.MemoryMode is MemoryMode.Abs or MemoryMode.Ind && insn.MemorySize != MemorySize.DoubleWord;

    /// <summary>The load in words, offset included: "ld_ind (2 bytes at packet offset r7 + 14)".</summary>
    public static string DescribeLegacyPacketLoad(Instruction insn)
    {
        var where = insn.MemoryMode == MemoryMode.Abs ? insn.Imm.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"r{insn.Src} + {insn.Imm}";
        return $"{(insn.MemoryMode == MemoryMode.Abs ? "ld_abs" : "ld_ind")} ({insn.MemorySize.ByteCount()} bytes at packet offset {where})";
    }

    /// <summary>
    /// The message with which an engine refuses a legacy packet load at load time (BPF4057): the program was
    /// loaded for raw memory, an XDP frame or a host struct, not for a socket buffer those loads could read.
    /// </summary>
    public static string LegacyPacketLoadRefusal(Instruction insn) =>
        $"{DescribeLegacyPacketLoad(insn)} is a legacy packet load, which reads the socket buffer in r6, but this program was loaded for another context (raw memory, an XDP frame or a host struct). " +
        "Legacy packet loads run in socket filter and tc programs (SEC(\"socket\"), SEC(\"tc\")), which are then loaded for a socket buffer and run with RunSocketBuffer; on other contexts read the packet through data and data_end (compare data + N with data_end, then load)";

    private sealed partial class Checker
    {
        private void CheckLegacyPacketLoad(int i, Instruction insn)
        {
            // Linux's rule: ld_abs/ld_ind always write r0, take no offset, and ld_abs no source register.
            if (insn.Dst != 0)
            {
                Report(DiagnosticCodes.UnusedFieldNotZero, i, $"{Show(insn)} has dst r{insn.Dst}; legacy packet loads always write r0, so dst must be 0");
            }
            if (insn.Offset != 0)
            {
                Report(DiagnosticCodes.UnusedFieldNotZero, i, $"{Show(insn)} has offset {insn.Offset}, a field legacy packet loads do not use; it must be 0 (the packet offset is imm)");
            }
            if (insn.MemoryMode == MemoryMode.Abs && insn.Src != 0)
            {
                Report(DiagnosticCodes.UnusedFieldNotZero, i, $"{Show(insn)} has src r{insn.Src}; ld_abs takes its offset from imm alone, so src must be 0 (ld_ind adds a register)");
            }
            else
            {
                CheckRegister(i, insn, insn.Src, "src");
            }
        }
    }
}
