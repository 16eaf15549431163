using Bpftime.Helpers;
using Bpftime.Maps;

namespace Bpftime.Engines.X64;

/// <summary>
/// bpf_map_lookup_elem of an array, per-CPU array or global-data map known where it is called
/// (<see cref="MapLookupSites"/>), done by the code itself: the key's bounds check and the value's
/// address, the helper's result without the call. The storage address is read from the map's
/// <see cref="BpfMap.StorageCell"/> (0 once the map is disposed: then the helper is called, as before).
/// Hash and LRU hash maps with 4- or 8-byte keys take the map's own lock-free read (version, chain
/// walk, version again; x86 keeps loads in order, so the second read of the version sees any writer
/// that began before the walk's loads), with the helper called whenever the read cannot finish;
/// per-CPU hash maps keep the helper here. bpf_map_update_elem of a plain array with small values
/// (<see cref="InlineLookup.CanInlineUpdate"/>) is done here too: flags, key, value pointer and index
/// checked, then the copy; anything else calls the helper, which answers as before.
/// </summary>
internal sealed partial class X64Compiler
{
    private Dictionary<int, int>? _lookupSites;

    /// <summary>Registers that hold a value's pieces between the loads and the stores of an inline update (r3, the value pointer, excluded).</summary>
    private static readonly X64Register[] CopyRegisters = [X64Register.Rax, X64Register.Rcx, X64Register.R8, X64Register.R9, Scratch2];

    private bool TryEmitInlineLookup(HelperFunction helper, int i)
    {
        if (ReferenceEquals(helper, MapHelpers.UpdateElem))
        {
            return TryEmitInlineUpdate(helper, i);
        }
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
        if (InlineLookup.ForMap(map) is { IsHash: true, IsPerCpu: false } hash && hash.ValuesOffset <= int.MaxValue && hash.ValueStride <= int.MaxValue)
        {
            EmitHashLookup(helper, map, hash, i);
            return true;
        }
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
        // The storage waits in rax (r0, which the lookup sets anyway) while the key check uses r10 and r11.
        _asm.MovAbsolute(X64Register.Rax, cell);
        _asm.Load(X64Width.Qword, X64Register.Rax, X64Register.Rax, 0);
        _asm.Test(X64Width.Qword, X64Register.Rax, X64Register.Rax);
        _asm.Jcc(X64Condition.Equal, call);

        // The key at r2, read as the helper reads it: checked code checks the read like any load;
        // verified code may pass NULL, which the helper answers with NULL.
        CheckLookupKey(sizeof(uint), miss, call);
        _asm.Load(X64Width.Dword, Index, Host(2), 0); // zero-extends: no negative index
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
            LoadBudgetRegister();
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
        EmitLookupEnd(helper, i, miss, call, done);
        return true;
    }

    /// <summary>
    /// bpf_map_update_elem(map, key, value, flags) on a plain array known at the call: with flags
    /// BPF_ANY or BPF_EXIST, a key and a value the code may read (see <see cref="CheckReadable"/>) and an
    /// index in range, every piece of the value is loaded, then stored, and r0 is 0. Anything else (other
    /// flags, a key or value elsewhere, an index out of range, a map whose update word is 0) calls the
    /// helper, which answers, refuses or faults exactly as before.
    /// </summary>
    private bool TryEmitInlineUpdate(HelperFunction helper, int i)
    {
        _lookupSites ??= MapLookupSites.Find(_code);
        if (!_lookupSites.TryGetValue(i, out var index) || index < 0 || index >= _image.Maps.Count)
        {
            return false;
        }
        var map = _image.Maps[index];
        var pieces = InlineLookup.CopyPieces(map.ValueSize);
        if (InlineLookup.ForMap(map) is not { CanInlineUpdate: true, IsHash: false } layout || pieces.Count > CopyRegisters.Length)
        {
            return false;
        }
        var call = _asm.CreateLabel();
        const X64Register Target = Scratch;

        // Word 1 of the map's cell: where the code may write values, 0 when the helper must (see BpfMap.StorageCell).
        _asm.MovAbsolute(X64Register.Rax, map.StorageCell);
        _asm.Load(X64Width.Qword, X64Register.Rax, X64Register.Rax, 8);
        _asm.Test(X64Width.Qword, X64Register.Rax, X64Register.Rax);
        _asm.Jcc(X64Condition.Equal, call);
        // BPF_ANY (0) or BPF_EXIST (2): flags | 2 == 2.
        _asm.Mov(X64Width.Qword, X64Register.Rcx, Host(4));
        _asm.Alu(X64AluOperation.Or, X64Width.Qword, X64Register.Rcx, (int)MapUpdateFlags.Exist);
        _asm.Alu(X64AluOperation.Cmp, X64Width.Qword, X64Register.Rcx, (int)MapUpdateFlags.Exist);
        _asm.Jcc(X64Condition.NotEqual, call);
        CheckReadable(Host(2), (int)layout.KeySize, call, call);
        CheckReadable(Host(3), (int)layout.ValueSize, call, call);
        _asm.Load(X64Width.Dword, Target, Host(2), 0); // zero-extends: no negative index
        _asm.MovImmediate(X64Register.Rcx, layout.MaxEntries);
        _asm.Alu(X64AluOperation.Cmp, X64Width.Qword, Target, X64Register.Rcx);
        _asm.Jcc(X64Condition.AboveOrEqual, call);
        _asm.Imul(X64Width.Qword, Target, Target, (int)layout.ValueStride);
        _asm.Alu(X64AluOperation.Add, X64Width.Qword, Target, X64Register.Rax);

        // Every load before any store: a value read from the map itself is copied as the helper's memmove copies it.
        for (var p = 0; p < pieces.Count; p++)
        {
            _asm.Load((X64Width)pieces[p].Width, CopyRegisters[p], Host(3), pieces[p].Offset);
        }
        for (var p = 0; p < pieces.Count; p++)
        {
            _asm.Store((X64Width)pieces[p].Width, Target, pieces[p].Offset, CopyRegisters[p]);
        }
        EmitZeroResultEnd(helper, i, call, _asm.CreateLabel());
        return true;
    }

    /// <summary>After the found path (r0 set): NULL for a miss, the helper for what the code left to it, then the call's epilogue.</summary>
    private void EmitLookupEnd(HelperFunction helper, int i, X64Label miss, X64Label call, X64Label done)
    {
        _asm.Jmp(done);
        _asm.Bind(miss);
        EmitZeroResultEnd(helper, i, call, done);
    }

    /// <summary>r0 = 0 (NULL, or an update's success), then the helper for what the code left to it, then the call's epilogue.</summary>
    private void EmitZeroResultEnd(HelperFunction helper, int i, X64Label call, X64Label done)
    {
        _asm.Alu(X64AluOperation.Xor, X64Width.Dword, X64Register.Rax, X64Register.Rax);
        _asm.Jmp(done);
        _asm.Bind(call);
        EmitHelperCall(helper, i);
        _asm.Bind(done);
        ClearScratchAfterCall();
    }

    /// <summary>
    /// The hash read. rdi and rsi (r1, r2) stay intact for the helper; rax, rcx, rdx, r8-r11 are free
    /// (r3-r5 are undefined after the call anyway). r10 block, r8 key, r9 hash, rdx version, r11
    /// element, rcx steps.
    /// </summary>
    private void EmitHashLookup(HelperFunction helper, BpfMap map, InlineLookup layout, int i)
    {
        const X64Register Block = Scratch2;
        const X64Register Element = Scratch;
        const X64Register Key = X64Register.R8;
        const X64Register Hash = X64Register.R9;
        const X64Register Version = X64Register.Rdx;
        const X64Register Steps = X64Register.Rcx;
        const X64Register Address = X64Register.Rax;
        var keyWidth = layout.KeySize == 8 ? X64Width.Qword : X64Width.Dword;
        var miss = _asm.CreateLabel();
        var done = _asm.CreateLabel();
        var call = _asm.CreateLabel();
        var walk = _asm.CreateLabel();
        var step = _asm.CreateLabel();
        var absent = _asm.CreateLabel();
        var found = _asm.CreateLabel();

        _asm.MovAbsolute(X64Register.Rax, map.StorageCell);
        _asm.Load(X64Width.Qword, X64Register.Rax, X64Register.Rax, 0);
        _asm.Test(X64Width.Qword, X64Register.Rax, X64Register.Rax);
        _asm.Jcc(X64Condition.Equal, call);
        CheckLookupKey((int)layout.KeySize, miss, call);
        _asm.Load(keyWidth, Key, Host(2), 0);
        _asm.Mov(X64Width.Qword, Block, X64Register.Rax);

        // The map's hash of a 4- or 8-byte key: (key x 0x9E3779B97F4A7C15) >> 33.
        _asm.MovAbsolute(Hash, unchecked((long)0x9E3779B97F4A7C15UL));
        _asm.Imul(X64Width.Qword, Hash, Key);
        _asm.Shift(X64ShiftOperation.Shr, X64Width.Qword, Hash, 33);

        _asm.Load(X64Width.Dword, Version, Block, 0);
        _asm.Test(X64Width.Dword, Version, 1);
        _asm.Jcc(X64Condition.NotEqual, call);
        _asm.Mov(X64Width.Dword, Element, Hash);
        _asm.Alu(X64AluOperation.And, X64Width.Dword, Element, layout.BucketCount - 1);
        ElementAddress(Address, Element, 4, Block);
        _asm.Load(X64Width.Dword, Element, Address, (int)InlineLookup.BucketsOffset);
        _asm.Alu(X64AluOperation.Xor, X64Width.Dword, Steps, Steps);

        // The chain as a racing writer may leave it: bounded by the index range and the map's size.
        _asm.Bind(walk);
        _asm.Alu(X64AluOperation.Cmp, X64Width.Dword, Element, InlineLookup.HashEnd);
        _asm.Jcc(X64Condition.Equal, absent);
        _asm.Alu(X64AluOperation.Cmp, X64Width.Dword, Element, (int)layout.MaxEntries);
        _asm.Jcc(X64Condition.AboveOrEqual, call);
        _asm.Alu(X64AluOperation.Cmp, X64Width.Dword, Steps, (int)layout.MaxEntries);
        _asm.Jcc(X64Condition.Above, call);
        ElementAddress(Address, Element, 4, Block);
        _asm.AluLoad(X64AluOperation.Cmp, X64Width.Dword, Hash, Address, (int)layout.HashesOffset);
        _asm.Jcc(X64Condition.NotEqual, step);
        ElementAddress(Address, Element, (int)layout.KeyStride, Block);
        _asm.AluLoad(X64AluOperation.Cmp, keyWidth, Key, Address, (int)layout.KeysOffset);
        _asm.Jcc(X64Condition.Equal, found);
        _asm.Bind(step);
        ElementAddress(Address, Element, 4, Block);
        _asm.Load(X64Width.Dword, Element, Address, (int)layout.NextOffset);
        _asm.Alu(X64AluOperation.Add, X64Width.Dword, Steps, 1);
        _asm.Jmp(walk);

        // What the walk read counts only if no writer began meanwhile.
        _asm.Bind(absent);
        _asm.AluLoad(X64AluOperation.Cmp, X64Width.Dword, Version, Block, 0);
        _asm.Jcc(X64Condition.NotEqual, call);
        _asm.Jmp(miss);

        _asm.Bind(found);
        _asm.AluLoad(X64AluOperation.Cmp, X64Width.Dword, Version, Block, 0);
        _asm.Jcc(X64Condition.NotEqual, call);
        if (layout.IsLru)
        {
            ElementAddress(Address, Element, 1, Block);
            _asm.StoreImmediate(X64Width.Byte, Address, (int)layout.ReferencedOffset, 1);
        }
        ElementAddress(Address, Element, (int)layout.ValueStride, Block);
        _asm.Lea(X64Register.Rax, Address, (int)layout.ValuesOffset);
        EmitLookupEnd(helper, i, miss, call, done);
    }

    /// <summary>
    /// The key at r2 as the helper takes it: verified code may pass NULL (answered with NULL); checked
    /// code reads it here only when it lies in the context or the current frame, where keys are, and
    /// otherwise lets the helper check it, so that a bad key is refused exactly as before. Uses r10, r11.
    /// </summary>
    private void CheckLookupKey(int size, X64Label miss, X64Label call) => CheckReadable(Host(2), size, miss, call);

    /// <summary>
    /// [address, address + size) for the code to read itself: verified code jumps to <paramref name="ifNull"/>
    /// for NULL; checked code goes on only when the bytes lie in the context or the current frame, and
    /// otherwise jumps to <paramref name="call"/>, the helper, which checks them. Uses r10, r11.
    /// </summary>
    private void CheckReadable(X64Register key, int size, X64Label ifNull, X64Label call)
    {
        if (!_checked)
        {
            _asm.Test(X64Width.Qword, key, key);
            _asm.Jcc(X64Condition.Equal, ifNull);
            return;
        }
        var readable = _asm.CreateLabel();
        var notContext = _asm.CreateLabel();
        _asm.Mov(X64Width.Qword, Scratch, key);
        _asm.Alu(X64AluOperation.Add, X64Width.Qword, Scratch, size);
        _asm.Jcc(X64Condition.Below, call); // carry: the end wrapped around
        _asm.AluLoad(X64AluOperation.Cmp, X64Width.Qword, key, State, RunState.ContextStartOffset);
        _asm.Jcc(X64Condition.Below, notContext);
        _asm.AluLoad(X64AluOperation.Cmp, X64Width.Qword, Scratch, State, RunState.ContextEndOffset);
        _asm.Jcc(X64Condition.BelowOrEqual, readable);
        _asm.Bind(notContext);
        _asm.Lea(Scratch2, X64Register.Rbp, -_frameSize);
        _asm.Alu(X64AluOperation.Cmp, X64Width.Qword, key, Scratch2);
        _asm.Jcc(X64Condition.Below, call);
        _asm.Alu(X64AluOperation.Cmp, X64Width.Qword, Scratch, X64Register.Rbp);
        _asm.Jcc(X64Condition.Above, call);
        _asm.Bind(readable);
    }

    /// <summary><paramref name="target"/> = <paramref name="block"/> + <paramref name="element"/> x <paramref name="size"/> (the element's index is a zero-extended u32).</summary>
    private void ElementAddress(X64Register target, X64Register element, int size, X64Register block)
    {
        _asm.Mov(X64Width.Dword, target, element);
        if (size != 1)
        {
            _asm.Imul(X64Width.Qword, target, target, size);
        }
        _asm.Alu(X64AluOperation.Add, X64Width.Qword, target, block);
    }
}
