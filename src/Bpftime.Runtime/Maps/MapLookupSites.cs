using Bpftime.Helpers;
using Bpftime.Isa;

namespace Bpftime.Maps;

/// <summary>
/// Finds the bpf_map_lookup_elem, bpf_map_update_elem and bpf_map_delete_elem calls whose map is known from the code alone: r1 was last set by an
/// ld_imm64 of a map (src 1 or 5) in the same straight run of instructions, with no jump target, call
/// or other write of r1 in between. Only there may compiled code replace the call with the lookup (or update)
/// itself; any other call (a map chosen at run time, a branch merging two maps) keeps the helper.
/// </summary>
public static class MapLookupSites
{
    /// <summary>Each such call's pc and the map index (the ld_imm64's immediate) it looks up, updates or deletes from.</summary>
    public static Dictionary<int, int> Find(ReadOnlySpan<Instruction> code)
    {
        var targets = new bool[code.Length + 1];
        for (var pc = 0; pc < code.Length; pc++)
        {
            var insn = code[pc];
            long target = -1;
            if (insn.IsLoadImm64)
            {
                if (insn.Src == (byte)LoadImm64Source.CodeAddress)
                {
                    target = (long)pc + insn.Imm + 1;
                }
                pc++;
            }
            else if (insn.IsLocalCall)
            {
                target = (long)pc + insn.Imm + 1;
            }
            else if (insn.IsJump && insn.JumpOperation is not (JumpOperation.Call or JumpOperation.Exit))
            {
                target = insn.JumpOperation == JumpOperation.Ja && insn.Class == InstructionClass.Jmp32
                    ? (long)pc + insn.Imm + 1
                    : (long)pc + insn.Offset + 1;
            }
            if (target >= 0 && target <= code.Length)
            {
                targets[target] = true;
            }
        }

        var sites = new Dictionary<int, int>();
        var map = -1;
        for (var pc = 0; pc < code.Length; pc++)
        {
            var insn = code[pc];
            if (targets[pc])
            {
                map = -1;
            }
            if (insn.IsLoadImm64)
            {
                if (insn.Dst == 1)
                {
                    map = insn.Src is (byte)LoadImm64Source.MapByFd or (byte)LoadImm64Source.MapByIndex ? insn.Imm : -1;
                }
                pc++;
                continue;
            }
            if (insn.IsHelperCall && insn.Imm is (HelperIds.MapLookupElem or HelperIds.MapUpdateElem or HelperIds.MapDeleteElem) && map >= 0)
            {
                sites[pc] = map;
            }
            if (WritesR1(insn) || insn.IsExit || (insn.IsJump && insn.JumpOperation == JumpOperation.Ja))
            {
                // After a call r1 is undefined; after exit or ja the next instruction is reached only by a jump.
                map = -1;
            }
        }
        return sites;
    }

    private static bool WritesR1(Instruction insn) => insn.Class switch
    {
        InstructionClass.Alu or InstructionClass.Alu64 or InstructionClass.Ldx => insn.Dst == 1,
        InstructionClass.Ld => true,
        // Atomics with fetch write their source register; cmpxchg writes r0.
        InstructionClass.Stx => insn.MemoryMode == MemoryMode.Atomic && insn.Src == 1,
        InstructionClass.Jmp or InstructionClass.Jmp32 => insn.IsCall,
        _ => false,
    };
}
