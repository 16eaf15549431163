using Bpftime.Helpers;
using Bpftime.Isa;

namespace Bpftime.Engines.Checked;

/// <summary>
/// Which programs may reach a helper whose <c>%s</c> reads a string the verifier cannot type
/// (trace_printk, snprintf, trace_vprintk, or any helper through callx). Such a string may run from
/// a stack buffer into bytes of the live frames the program never wrote, so every engine starts
/// these programs' frames zeroed even when they are verified; other verified code pays nothing.
/// </summary>
internal static class StringReaders
{
    public static bool CanReadStrings(ReadOnlySpan<Instruction> code)
    {
        foreach (var insn in code)
        {
            if (insn.Opcode == Opcodes.CallRegister
                || (insn.IsHelperCall && insn.Imm is HelperIds.TracePrintk or HelperIds.Snprintf or HelperIds.TraceVprintk))
            {
                return true;
            }
        }
        return false;
    }
}
