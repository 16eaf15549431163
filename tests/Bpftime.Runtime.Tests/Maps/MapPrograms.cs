using Bpftime.Helpers;
using Bpftime.Isa;
using static Bpftime.Tests.Engines.X64.Bpf;

namespace Bpftime.Tests.Maps;

/// <summary>Hand-written programs over maps, shared by the map, helper and concurrency tests.</summary>
internal static class MapPrograms
{
    /// <summary>ld_imm64 of map <paramref name="index"/>'s handle (src 1).</summary>
    public static Instruction[] LoadMap(int register, int index) => LdImm64(register, index, src: 1);

    /// <summary>
    /// Reads a u32 key from ctx[0], finds (or creates with BPF_NOEXIST) its u64 value in map 0, and
    /// adds 1 to it atomically. r0 = 0, or 1 when the value could not be found or made.
    /// </summary>
    public static Instruction[] AtomicIncrement() => Program(
        Ldx(MemorySize.Word, 2, 1, 0),
        Stx(MemorySize.Word, 10, 2, -4),
        LoadMap(1, 0),
        Mov64Reg(2, 10),
        Alu64(AluOperation.Add, 2, -4),
        Call(HelperIds.MapLookupElem),
        Jmp(JumpOperation.Jne, 0, 0, 17),
        St(MemorySize.DoubleWord, 10, -16, 0),
        LoadMap(1, 0),
        Mov64Reg(2, 10),
        Alu64(AluOperation.Add, 2, -4),
        Mov64Reg(3, 10),
        Alu64(AluOperation.Add, 3, -16),
        Mov64(4, 1),
        Call(HelperIds.MapUpdateElem),
        LoadMap(1, 0),
        Mov64Reg(2, 10),
        Alu64(AluOperation.Add, 2, -4),
        Call(HelperIds.MapLookupElem),
        Jmp(JumpOperation.Jne, 0, 0, 2),
        Mov64(0, 1),
        Exit(),
        Mov64(1, 1),
        Atomic(MemorySize.DoubleWord, AtomicOperation.Add, 0, 1, 0),
        Mov64(0, 0),
        Exit());

    /// <summary>
    /// Calls map helper <paramref name="helper"/> on map 0 with r2 = the key at ctx[0..8), r3 = the
    /// value at ctx[8..24) and r4 = the flags at ctx[24..32); returns the helper's r0.
    /// </summary>
    public static Instruction[] CallOnContext(int helper) => Program(
        Mov64Reg(6, 1),
        LoadMap(1, 0),
        Mov64Reg(2, 6),
        Mov64Reg(3, 6),
        Alu64(AluOperation.Add, 3, 8),
        Ldx(MemorySize.DoubleWord, 4, 6, 24),
        Call(helper),
        Exit());
}
