using Bpftime.Helpers;
using Bpftime.Maps;

namespace Bpftime.Engines.X64;

/// <summary>
/// bpf_map_lookup_elem of an array, per-CPU array or global-data map known where it is called
/// (<see cref="MapLookupSites"/>), done by the code itself: the key's bounds check and the value's
/// address, the helper's result without the call. The storage address is read from the map's
/// <see cref="BpfMap.StorageCell"/> (0 once the map is disposed: then the helper is called, as before).
/// Hash maps keep the helper here.
/// </summary>
internal sealed partial class X64Compiler
{
    private Dictionary<int, int>? _lookupSites;

    private bool TryEmitInlineLookup(HelperFunction helper, int i)
    {
        if (!ReferenceEquals(helper, MapHelpers.LookupElem))
        {
            return false;
        }
        _lookupSites ??= MapLookupSites.Find(_code);
        if (!_lookupSites.TryGetValue(i, out var index) || index < 0 || index >= _image.Maps.Count)
        {
            return false;
        }
        var map = _image.Maps[index];
        if (InlineLookup.ForMap(map) is not { IsHash: false } layout || layout.ValueStride > int.MaxValue
            || (layout.IsPerCpu && (ulong)PerCpu.SlotCount * layout.ValueStride > int.MaxValue))
        {
            return false;
        }
        var cell = map.StorageCell;
        var miss = _asm.CreateLabel();
        var done = _asm.CreateLabel();
        var call = _asm.CreateLabel();
        const X64Register Index = Scratch;
        const X64Register Storage = Scratch2;

        // A disposed map (its cell holds 0) goes to the helper, which answers for a map that is gone.
        // The storage waits in rax (r0, which the lookup sets anyway): a checked key read uses r10 and r11.
        _asm.MovAbsolute(X64Register.Rax, cell);
        _asm.Load(X64Width.Qword, X64Register.Rax, X64Register.Rax, 0);
        _asm.Test(X64Width.Qword, X64Register.Rax, X64Register.Rax);
        _asm.Jcc(X64Condition.Equal, call);

        // The key at r2, read as the helper reads it: checked code checks the read like any load;
        // verified code may pass NULL, which the helper answers with NULL.
        X64Register keyBase;
        int keyDisplacement;
        if (_checked)
        {
            (keyBase, keyDisplacement) = Address(2, 0, sizeof(uint), write: false, i);
        }
        else
        {
            (keyBase, keyDisplacement) = (Host(2), 0);
            _asm.Test(X64Width.Qword, keyBase, keyBase);
            _asm.Jcc(X64Condition.Equal, miss);
        }
        _asm.Load(X64Width.Dword, Index, keyBase, keyDisplacement); // zero-extends: no negative index
        _asm.Mov(X64Width.Qword, Storage, X64Register.Rax);
        _asm.MovImmediate(X64Register.Rcx, layout.MaxEntries);
        _asm.Alu(X64AluOperation.Cmp, X64Width.Qword, Index, X64Register.Rcx);
        _asm.Jcc(X64Condition.AboveOrEqual, miss);
        if (layout.IsPerCpu)
        {
            // The slot is sched_getcpu() modulo the slot count, as the helper picks it. r1-r5 are dead
            // after the call (as after the helper); two pushes keep the stack 16-byte aligned.
            _asm.Push(Index);
            _asm.Push(Storage);
            _asm.MovAbsolute(X64Register.Rax, InlineLookup.CurrentCpuEntry);
            _asm.CallRegister(X64Register.Rax);
            _asm.Pop(Storage);
            _asm.Pop(Index);
            _asm.Alu(X64AluOperation.Xor, X64Width.Dword, X64Register.Rdx, X64Register.Rdx);
            _asm.MovImmediate32(X64Register.Rcx, (uint)PerCpu.SlotCount);
            _asm.Unary(X64UnaryOperation.Div, X64Width.Dword, X64Register.Rcx);
            _asm.Imul(X64Width.Qword, Index, Index, PerCpu.SlotCount);
            _asm.Alu(X64AluOperation.Add, X64Width.Qword, Index, X64Register.Rdx);
        }
        _asm.Imul(X64Width.Qword, Index, Index, (int)layout.ValueStride);
        _asm.Mov(X64Width.Qword, X64Register.Rax, Storage);
        _asm.Alu(X64AluOperation.Add, X64Width.Qword, X64Register.Rax, Index);
        _asm.Jmp(done);
        _asm.Bind(miss);
        _asm.Alu(X64AluOperation.Xor, X64Width.Dword, X64Register.Rax, X64Register.Rax);
        _asm.Jmp(done);
        _asm.Bind(call);
        EmitHelperCall(helper, i);
        _asm.Bind(done);
        ClearScratchAfterCall();
        return true;
    }
}
