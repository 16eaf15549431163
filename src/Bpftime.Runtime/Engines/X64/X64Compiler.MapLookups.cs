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
/// per-CPU hash maps keep the helper here. bpf_map_update_elem with small values
/// (<see cref="InlineLookup.CanInlineUpdate"/>) is done here too: flags, key and value pointer checked,
/// then on a plain or per-CPU array the index checked and the copy (per-CPU: into the running
/// processor's copy), on a plain or per-CPU hash map, under the map's lock, the value of a key present
/// replaced or an absent key inserted (bpf_map_delete_elem of such maps: X64Compiler.MapDeletes.cs;
/// LRU maps' recency list and eviction: X64Compiler.MapLru.cs); anything else (a full plain hash map among it) calls the
/// helper, which answers as before.
/// </summary>
internal sealed partial class X64Compiler
{
    private Dictionary<int, int>? _lookupSites;

    /// <summary>Registers that hold a value's pieces between the loads and the stores of an inline update (r3, the value pointer, excluded).</summary>
    private static readonly X64Register[] CopyRegisters = [X64Register.Rax, X64Register.Rcx, X64Register.R8, X64Register.R9, Scratch2];

    /// <summary>The same for a hash update, whose target is in rax and lock word in r8.</summary>
    private static readonly X64Register[] HashCopyRegisters = [X64Register.Rcx, X64Register.R9, Scratch2, Scratch, X64Register.Rsi];

    private bool TryEmitInlineLookup(HelperFunction helper, int i)
    {
        if (ReferenceEquals(helper, MapHelpers.UpdateElem))
        {
            return TryEmitInlineUpdate(helper, i);
        }
        if (ReferenceEquals(helper, MapHelpers.DeleteElem))
        {
            return TryEmitInlineDelete(helper, i);
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
            EmitCurrentSlot(Index, Storage);
            _asm.Imul(X64Width.Qword, Index, Index, PerCpu.SlotCount);
            _asm.Alu(X64AluOperation.Add, X64Width.Qword, Index, X64Register.Rcx);
        }
        _asm.Imul(X64Width.Qword, Index, Index, (int)layout.ValueStride);
        _asm.Mov(X64Width.Qword, X64Register.Rax, Storage);
        _asm.Alu(X64AluOperation.Add, X64Width.Qword, X64Register.Rax, Index);
        EmitLookupEnd(helper, i, miss, call, done);
        return true;
    }

    /// <summary>
    /// bpf_map_update_elem(map, key, value, flags) on a map known at the call whose update the code may
    /// do (<see cref="InlineLookup.CanInlineUpdate"/>, values of at most <see cref="CopyRegisters"/>
    /// pieces): with flags BPF_ANY or BPF_EXIST and a key and a value the code may read (see
    /// <see cref="CheckReadable"/>), a plain or per-CPU array's value at an index in range is replaced
    /// (per-CPU: the running processor's copy), and a plain hash map's value of a key already present
    /// (see <see cref="EmitHashUpdate"/>); r0 is 0. Anything else (other flags, a key or value elsewhere,
    /// an index out of range, an absent key, a map whose update word is 0) calls the helper, which
    /// answers, refuses or faults exactly as before.
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
        if (InlineLookup.ForMap(map) is not { CanInlineUpdate: true } layout || pieces.Count > CopyRegisters.Length
            || layout.ValueStride > int.MaxValue || (layout.IsHash && layout.ValuesOffset + InlineLookup.MaxInlineUpdateBytes > int.MaxValue)
            || (layout.IsLru && LruLinksDisplacement(layout) < 0)
            || (layout.IsPerCpu && (ulong)PerCpu.SlotCount * layout.ValueStride > int.MaxValue))
        {
            return false;
        }
        var call = _asm.CreateLabel();
        var done = _asm.CreateLabel();
        EmitUpdateChecks(map, layout, call);
        if (layout.IsHash)
        {
            EmitHashUpdate(map, layout, pieces, call, done);
        }
        else
        {
            const X64Register Target = Scratch;
            _asm.Load(X64Width.Dword, Target, Host(2), 0); // zero-extends: no negative index
            _asm.MovImmediate(X64Register.Rcx, layout.MaxEntries);
            _asm.Alu(X64AluOperation.Cmp, X64Width.Qword, Target, X64Register.Rcx);
            _asm.Jcc(X64Condition.AboveOrEqual, call);
            var source = Host(3);
            if (layout.IsPerCpu)
            {
                // The copy of the processor the code runs on: value i, slot s at (i x slots + s) x stride.
                // The helper is not called from here on; the value pointer waits in r2 (rsi) across the call.
                _asm.Imul(X64Width.Qword, Target, Target, PerCpu.SlotCount * (int)layout.ValueStride);
                _asm.Alu(X64AluOperation.Add, X64Width.Qword, Target, X64Register.Rax);
                source = Host(2);
                _asm.Mov(X64Width.Qword, source, Host(3));
                EmitCurrentSlot(Target, source);
                _asm.Imul(X64Width.Qword, X64Register.Rcx, X64Register.Rcx, (int)layout.ValueStride);
                _asm.Alu(X64AluOperation.Add, X64Width.Qword, Target, X64Register.Rcx);
            }
            else
            {
                _asm.Imul(X64Width.Qword, Target, Target, (int)layout.ValueStride);
                _asm.Alu(X64AluOperation.Add, X64Width.Qword, Target, X64Register.Rax);
            }
            CopyValue(pieces, source, Target, 0, CopyRegisters);
        }
        EmitZeroResultEnd(helper, i, call, done);
        return true;
    }

    /// <summary>
    /// What every update the code does checks first, jumping to <paramref name="call"/> when the helper
    /// must answer: word 1 of the map's cell (where to write, or the lock word; 0 when the helper must,
    /// see <see cref="BpfMap.StorageCell"/>), left in rax; flags BPF_ANY or BPF_EXIST; a key and a value
    /// the code may read. r1-r4 stay intact for the helper. Uses rcx, r10, r11.
    /// </summary>
    private void EmitUpdateChecks(BpfMap map, InlineLookup layout, X64Label call)
    {
        _asm.MovAbsolute(X64Register.Rax, map.StorageCell);
        _asm.Load(X64Width.Qword, X64Register.Rax, X64Register.Rax, 8);
        _asm.Test(X64Width.Qword, X64Register.Rax, X64Register.Rax);
        _asm.Jcc(X64Condition.Equal, call);
        if (layout.IsHash)
        {
            // BPF_ANY, BPF_NOEXIST or BPF_EXIST: flags <= 2, unsigned.
            _asm.Alu(X64AluOperation.Cmp, X64Width.Qword, Host(4), (int)MapUpdateFlags.Exist);
            _asm.Jcc(X64Condition.Above, call);
        }
        else
        {
            // BPF_ANY (0) or BPF_EXIST (2): flags | 2 == 2.
            _asm.Mov(X64Width.Qword, X64Register.Rcx, Host(4));
            _asm.Alu(X64AluOperation.Or, X64Width.Qword, X64Register.Rcx, (int)MapUpdateFlags.Exist);
            _asm.Alu(X64AluOperation.Cmp, X64Width.Qword, X64Register.Rcx, (int)MapUpdateFlags.Exist);
            _asm.Jcc(X64Condition.NotEqual, call);
        }
        CheckReadable(Host(2), (int)layout.KeySize, call, call);
        CheckReadable(Host(3), (int)layout.ValueSize, call, call);
    }

    /// <summary>
    /// Copies the value at <paramref name="source"/> to <paramref name="target"/> + <paramref name="displacement"/>
    /// through <paramref name="registers"/>: every piece loaded before any is stored, so a value read from
    /// the map itself (overlapping the target) is copied as the helper's memmove copies it.
    /// </summary>
    private void CopyValue(IReadOnlyList<(int Offset, int Width)> pieces, X64Register source, X64Register target, int displacement, X64Register[] registers)
    {
        for (var p = 0; p < pieces.Count; p++)
        {
            _asm.Load((X64Width)pieces[p].Width, registers[p], source, pieces[p].Offset);
        }
        for (var p = 0; p < pieces.Count; p++)
        {
            _asm.Store((X64Width)pieces[p].Width, target, displacement + pieces[p].Offset, registers[p]);
        }
    }

    /// <summary>
    /// A plain or per-CPU hash map's update of a key already present, as llvm-jit and aot code does it:
    /// the map's lock word (in rax from <see cref="EmitUpdateChecks"/>) tried once (held: the helper,
    /// which waits for it), the chain walked under it (bounded as the lock-free read bounds it), the
    /// value replaced in place (as <see cref="HashMap.Update"/> replaces it under the same lock; per-CPU:
    /// the copy of the processor picked before the lock, as the helper picks it), the lock released,
    /// then on to r0 = 0; BPF_NOEXIST answers -EEXIST (to <paramref name="done"/>). An absent key:
    /// -ENOENT for BPF_EXIST, else the insertion (<see cref="EmitHashInsert"/>); a full map goes to the
    /// helper after the lock is released. r8 lock (on the native stack during the walk, above the per-CPU
    /// copy's offset), r10 block, r11 key, rcx element, r8 steps, rax address; r1-r4 stay intact until
    /// the code no longer calls the helper.
    /// </summary>
    private void EmitHashUpdate(BpfMap map, InlineLookup layout, IReadOnlyList<(int Offset, int Width)> pieces, X64Label call, X64Label done)
    {
        const X64Register Lock = X64Register.R8;
        const X64Register Block = Scratch2;
        const X64Register Key = Scratch;
        const X64Register Element = X64Register.Rcx;
        const X64Register Steps = X64Register.R8;
        const X64Register Address = X64Register.Rax;
        var keyWidth = layout.KeySize == 8 ? X64Width.Qword : X64Width.Dword;
        var absent = _asm.CreateLabel();
        var found = _asm.CreateLabel();
        var broken = _asm.CreateLabel();
        var replace = _asm.CreateLabel();
        var insert = _asm.CreateLabel();
        var updated = _asm.CreateLabel();
        var leave = call;
        if (layout.IsPerCpu)
        {
            // The copy's offset in the element waits on the native stack; every way to the helper drops it.
            EmitCurrentSlot(Host(1), Host(2), Host(3), Host(4), X64Register.Rax);
            _asm.Imul(X64Width.Qword, X64Register.Rcx, X64Register.Rcx, (int)layout.ValueStride);
            _asm.Push(X64Register.Rcx);
            leave = _asm.CreateLabel();
        }

        _asm.Mov(X64Width.Qword, Lock, X64Register.Rax);
        _asm.MovAbsolute(X64Register.Rax, map.StorageCell);
        _asm.Load(X64Width.Qword, Block, X64Register.Rax, 0);
        _asm.Test(X64Width.Qword, Block, Block);
        _asm.Jcc(X64Condition.Equal, leave);
        _asm.Load(keyWidth, Key, Host(2), 0);

        EmitTryLock(Lock, Element, leave);
        _asm.Push(Lock);

        // The bucket of the key's hash; the walk compares keys alone (equal keys have equal hashes). An
        // index out of range or a walk longer than the map, which the lock rules out, goes to the helper too.
        EmitKeyHash(Element, Key);
        EmitChainWalk(layout, new ChainWalk(Block, Element, Steps, Address, Key, null, null), absent, broken, found);

        // A full map (the helper's -E2BIG), or a chain the lock rules out: the helper answers.
        _asm.Bind(broken);
        _asm.Pop(Lock);
        _asm.StoreImmediate(X64Width.Dword, Lock, 0, 0);
        if (layout.IsPerCpu)
        {
            _asm.Bind(leave);
            _asm.Pop(Scratch);
        }
        _asm.Jmp(call);

        _asm.Bind(found);
        _asm.Alu(X64AluOperation.Cmp, X64Width.Qword, Host(4), (int)MapUpdateFlags.NoExist);
        _asm.Jcc(X64Condition.NotEqual, replace);
        EmitHashAnswer(layout, -Errno.EEXIST, done);
        _asm.Bind(absent);
        _asm.Alu(X64AluOperation.Cmp, X64Width.Qword, Host(4), (int)MapUpdateFlags.Exist);
        _asm.Jcc(X64Condition.NotEqual, insert);
        EmitHashAnswer(layout, -Errno.ENOENT, done);
        _asm.Bind(insert);
        _asm.Load(X64Width.Dword, Element, Block, InlineLookup.HashFreeOffset);
        _asm.Alu(X64AluOperation.Cmp, X64Width.Dword, Element, (int)layout.MaxEntries);
        if (layout.IsLru)
        {
            // A full LRU map evicts its cold end (EmitHashInsert); an empty recency list besides is the helper's.
            var free = _asm.CreateLabel();
            _asm.Jcc(X64Condition.Below, free);
            _asm.Load(X64Width.Dword, X64Register.Rax, Block, InlineLookup.LruTailOffset);
            _asm.Alu(X64AluOperation.Cmp, X64Width.Dword, X64Register.Rax, (int)layout.MaxEntries);
            _asm.Jcc(X64Condition.AboveOrEqual, broken);
            _asm.Bind(free);
        }
        else
        {
            _asm.Jcc(X64Condition.AboveOrEqual, broken);
        }
        EmitHashInsert(layout, pieces);
        _asm.Jmp(updated);

        // The helper is not called from here on: r1-r5 are free for the copy (r3, the value, excepted).
        _asm.Bind(replace);
        if (layout.IsLru)
        {
            // HashMap.Touch: the element moves to the hot end (unlinking and relinking the hot end itself leaves the list as it was).
            EmitLruUnlink(layout, Block, Element, X64Register.R8, X64Register.R9, X64Register.Rax);
            EmitLruLinkHot(layout, Block, Element, X64Register.R8, X64Register.Rax);
        }
        ElementAddress(Address, Element, (int)(layout.ValueStride * (layout.IsPerCpu ? (ulong)PerCpu.SlotCount : 1)), Block);
        _asm.Pop(Lock);
        if (layout.IsPerCpu)
        {
            _asm.Pop(X64Register.Rcx);
            _asm.Alu(X64AluOperation.Add, X64Width.Qword, Address, X64Register.Rcx);
        }
        CopyValue(pieces, Host(3), Address, (int)layout.ValuesOffset, HashCopyRegisters);
        // A plain store releases on x86: the copy's stores are seen before the lock is free.
        _asm.StoreImmediate(X64Width.Dword, Lock, 0, 0);
        _asm.Bind(updated);
    }

    /// <summary>Under the lock, with the lock word (and per-CPU, the copy's offset below it) on the native stack: releases it, r0 = <paramref name="result"/>, to <paramref name="done"/>.</summary>
    private void EmitHashAnswer(InlineLookup layout, int result, X64Label done)
    {
        _asm.Pop(X64Register.R8);
        _asm.StoreImmediate(X64Width.Dword, X64Register.R8, 0, 0);
        if (layout.IsPerCpu)
        {
            _asm.Pop(Scratch);
        }
        _asm.MovImmediate(X64Register.Rax, result);
        _asm.Jmp(done);
    }

    /// <summary>Registers that hold a value's pieces in an insertion, whose target is in rax, block in r10 and lock word in r8.</summary>
    private static readonly X64Register[] InsertCopyRegisters = [X64Register.Rcx, X64Register.R9, Scratch, X64Register.Rsi, X64Register.Rdi];

    /// <summary>
    /// The insertion, as llvm-jit and aot code (and <see cref="HashMap.Update"/> under the same lock) does
    /// it: under the lock, the key (r11) absent, the first free element in rcx (in range), the lock word
    /// and per-CPU the copy's offset on the native stack. With the version odd, the element is taken off
    /// the free list, its key, hash and chain link written, the bucket pointed at it, the count raised,
    /// the whole element cleared (every per-CPU copy, as the helper clears it) and the value copied in
    /// after the clear (as the helper's clear-then-copy), the version made even and the lock released.
    /// x86 keeps stores in order and only the lock holder writes the version, so plain stores do.
    /// r1-r5 are free (the helper is not called from here on) but for r3, the value.
    /// </summary>
    private void EmitHashInsert(InlineLookup layout, IReadOnlyList<(int Offset, int Width)> pieces)
    {
        const X64Register Lock = X64Register.R8;
        const X64Register Block = Scratch2;
        const X64Register Key = Scratch;
        const X64Register Element = X64Register.Rcx;
        var keyWidth = layout.KeySize == 8 ? X64Width.Qword : X64Width.Dword;
        var elementBytes = (int)(layout.ValueStride * (layout.IsPerCpu ? (ulong)PerCpu.SlotCount : 1));
        _asm.Pop(Lock);
        BumpVersion(Block, X64Register.Rax);
        if (layout.IsLru)
        {
            var free = _asm.CreateLabel();
            _asm.Alu(X64AluOperation.Cmp, X64Width.Dword, Element, (int)layout.MaxEntries);
            _asm.Jcc(X64Condition.Below, free);
            EmitLruEvict(layout, Block, Element);
            _asm.Bind(free);
        }
        ElementAddress(X64Register.Rax, Element, 4, Block);
        _asm.Load(X64Width.Dword, X64Register.Rdi, X64Register.Rax, (int)layout.NextOffset);
        _asm.Store(X64Width.Dword, Block, InlineLookup.HashFreeOffset, X64Register.Rdi);
        ElementAddress(X64Register.Rdi, Element, (int)layout.KeyStride, Block);
        _asm.Store(keyWidth, X64Register.Rdi, (int)layout.KeysOffset, Key);
        EmitKeyHash(X64Register.Rdi, Key);
        _asm.Store(X64Width.Dword, X64Register.Rax, (int)layout.HashesOffset, X64Register.Rdi);
        _asm.Alu(X64AluOperation.And, X64Width.Dword, X64Register.Rdi, layout.BucketCount - 1);
        ElementAddress(X64Register.Rsi, X64Register.Rdi, 4, Block);
        _asm.Load(X64Width.Dword, X64Register.R9, X64Register.Rsi, (int)InlineLookup.BucketsOffset);
        _asm.Store(X64Width.Dword, X64Register.Rax, (int)layout.NextOffset, X64Register.R9);
        _asm.Store(X64Width.Dword, X64Register.Rsi, (int)InlineLookup.BucketsOffset, Element);
        _asm.Load(X64Width.Dword, X64Register.R9, Block, InlineLookup.HashCountOffset);
        _asm.Alu(X64AluOperation.Add, X64Width.Dword, X64Register.R9, 1);
        _asm.Store(X64Width.Dword, Block, InlineLookup.HashCountOffset, X64Register.R9);
        if (layout.IsLru)
        {
            EmitLruLinkHot(layout, Block, Element, X64Register.R9, X64Register.Rdi);
        }

        // The element's bytes cleared, 8 at a time (elements are 8-byte aligned and strided).
        var zero = _asm.CreateLabel();
        ElementAddress(X64Register.Rax, Element, elementBytes, Block);
        _asm.Lea(X64Register.Rdi, X64Register.Rax, (int)layout.ValuesOffset);
        _asm.MovImmediate32(X64Register.Rsi, (uint)(elementBytes / 8));
        _asm.Bind(zero);
        _asm.StoreImmediate(X64Width.Qword, X64Register.Rdi, 0, 0);
        _asm.Alu(X64AluOperation.Add, X64Width.Qword, X64Register.Rdi, 8);
        _asm.Alu(X64AluOperation.Sub, X64Width.Dword, X64Register.Rsi, 1);
        _asm.Jcc(X64Condition.NotEqual, zero);
        if (layout.IsPerCpu)
        {
            _asm.Pop(X64Register.Rcx);
            _asm.Alu(X64AluOperation.Add, X64Width.Qword, X64Register.Rax, X64Register.Rcx);
        }
        CopyValue(pieces, Host(3), X64Register.Rax, (int)layout.ValuesOffset, InsertCopyRegisters);
        BumpVersion(Block, X64Register.Rcx);
        _asm.StoreImmediate(X64Width.Dword, Lock, 0, 0);
    }

    /// <summary>
    /// rcx = the slot of the processor the thread runs on: sched_getcpu() modulo the slot count, as the
    /// helper picks it. The <paramref name="saved"/> registers survive the call (pushed, with one more
    /// push when their count is odd, to keep the stack 16-byte aligned); every other caller-saved
    /// register is lost, as at a helper call. The budget goes to the run state before the call, as
    /// before any native call, since the register holding it is reloaded from there after.
    /// </summary>
    private void EmitCurrentSlot(params X64Register[] saved)
    {
        StoreBudgetRegister();
        foreach (var register in saved)
        {
            _asm.Push(register);
        }
        if (saved.Length % 2 != 0)
        {
            _asm.Push(saved[^1]);
        }
        _asm.MovAbsolute(X64Register.Rax, InlineLookup.CurrentCpuEntry);
        _asm.CallRegister(X64Register.Rax);
        LoadBudgetRegister();
        _asm.Alu(X64AluOperation.Xor, X64Width.Dword, X64Register.Rdx, X64Register.Rdx);
        _asm.MovImmediate32(X64Register.Rcx, (uint)PerCpu.SlotCount);
        _asm.Unary(X64UnaryOperation.Div, X64Width.Dword, X64Register.Rcx);
        _asm.Mov(X64Width.Dword, X64Register.Rcx, X64Register.Rdx);
        if (saved.Length % 2 != 0)
        {
            _asm.Pop(saved[^1]);
        }
        for (var r = saved.Length - 1; r >= 0; r--)
        {
            _asm.Pop(saved[r]);
        }
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
    /// (r3-r5 are undefined after the call anyway). r10 block, r8 key, rdx version, r11 element (first
    /// the key's hash), rcx steps.
    /// </summary>
    private void EmitHashLookup(HelperFunction helper, BpfMap map, InlineLookup layout, int i)
    {
        const X64Register Block = Scratch2;
        const X64Register Element = Scratch;
        const X64Register Key = X64Register.R8;
        const X64Register Version = X64Register.Rdx;
        const X64Register Steps = X64Register.Rcx;
        const X64Register Address = X64Register.Rax;
        var keyWidth = layout.KeySize == 8 ? X64Width.Qword : X64Width.Dword;
        var miss = _asm.CreateLabel();
        var done = _asm.CreateLabel();
        var call = _asm.CreateLabel();
        var absent = _asm.CreateLabel();
        var found = _asm.CreateLabel();

        _asm.MovAbsolute(X64Register.Rax, map.StorageCell);
        _asm.Load(X64Width.Qword, X64Register.Rax, X64Register.Rax, 0);
        _asm.Test(X64Width.Qword, X64Register.Rax, X64Register.Rax);
        _asm.Jcc(X64Condition.Equal, call);
        CheckLookupKey((int)layout.KeySize, miss, call);
        _asm.Load(keyWidth, Key, Host(2), 0);
        _asm.Mov(X64Width.Qword, Block, X64Register.Rax);

        EmitKeyHash(Element, Key);

        _asm.Load(X64Width.Dword, Version, Block, 0);
        _asm.Test(X64Width.Dword, Version, 1);
        _asm.Jcc(X64Condition.NotEqual, call);
        // The chain as a racing writer may leave it: bounded by the index range and the map's size.
        // The key alone decides (4 or 8 bytes, compared whole), as in the update's walk: no load of the stored hash.
        EmitChainWalk(layout, new ChainWalk(Block, Element, Steps, Address, Key, null, null), absent, call, found);

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
    /// Registers of a chain walk: <c>Hash</c> null when the walk compares keys alone; <c>Link</c>, when
    /// given, holds the address of the word that points at the current element (its bucket word or the
    /// previous element's next word), for a delete to unlink it.
    /// </summary>
    private readonly record struct ChainWalk(X64Register Block, X64Register Element, X64Register Steps, X64Register Address, X64Register Key, X64Register? Hash, X64Register? Link);

    /// <summary>
    /// <paramref name="target"/> = the map's hash of the key in <paramref name="key"/>
    /// (<see cref="InlineLookup.HashMultiplier"/>), as <see cref="HashMap"/> computes it.
    /// </summary>
    private void EmitKeyHash(X64Register target, X64Register key)
    {
        _asm.MovAbsolute(target, unchecked((long)InlineLookup.HashMultiplier));
        _asm.Imul(X64Width.Qword, target, key);
        _asm.Shift(X64ShiftOperation.Shr, X64Width.Qword, target, InlineLookup.HashShift);
    }

    /// <summary>One try of the map's lock word at [<paramref name="lockWord"/>] (0 free, 1 held), through rax and <paramref name="scratch"/>; held: to <paramref name="busy"/>.</summary>
    private void EmitTryLock(X64Register lockWord, X64Register scratch, X64Label busy)
    {
        // lock cmpxchg compares with eax.
        _asm.Alu(X64AluOperation.Xor, X64Width.Dword, X64Register.Rax, X64Register.Rax);
        _asm.MovImmediate32(scratch, 1);
        _asm.LockCmpxchg(X64Width.Dword, lockWord, 0, scratch);
        _asm.Jcc(X64Condition.NotEqual, busy);
    }

    /// <summary>
    /// Walks the chain of the bucket that <c>Element</c> holds the hash of (the bucket is the hash's low
    /// bits): jumps to <paramref name="found"/> with <c>Element</c> the index of the element holding the
    /// key, to <paramref name="end"/> at the end of the chain, or to <paramref name="broken"/> for an index
    /// out of range or a walk longer than the map (a chain a racing writer left).
    /// </summary>
    private void EmitChainWalk(InlineLookup layout, ChainWalk r, X64Label end, X64Label broken, X64Label found)
    {
        var keyWidth = layout.KeySize == 8 ? X64Width.Qword : X64Width.Dword;
        var walk = _asm.CreateLabel();
        var step = _asm.CreateLabel();
        _asm.Alu(X64AluOperation.And, X64Width.Dword, r.Element, layout.BucketCount - 1);
        ElementAddress(r.Address, r.Element, 4, r.Block);
        if (r.Link is { } bucket)
        {
            _asm.Lea(bucket, r.Address, (int)InlineLookup.BucketsOffset);
        }
        _asm.Load(X64Width.Dword, r.Element, r.Address, (int)InlineLookup.BucketsOffset);
        _asm.Alu(X64AluOperation.Xor, X64Width.Dword, r.Steps, r.Steps);

        _asm.Bind(walk);
        _asm.Alu(X64AluOperation.Cmp, X64Width.Dword, r.Element, InlineLookup.HashEnd);
        _asm.Jcc(X64Condition.Equal, end);
        _asm.Alu(X64AluOperation.Cmp, X64Width.Dword, r.Element, (int)layout.MaxEntries);
        _asm.Jcc(X64Condition.AboveOrEqual, broken);
        _asm.Alu(X64AluOperation.Cmp, X64Width.Dword, r.Steps, (int)layout.MaxEntries);
        _asm.Jcc(X64Condition.Above, broken);
        if (r.Hash is { } hash)
        {
            ElementAddress(r.Address, r.Element, 4, r.Block);
            _asm.AluLoad(X64AluOperation.Cmp, X64Width.Dword, hash, r.Address, (int)layout.HashesOffset);
            _asm.Jcc(X64Condition.NotEqual, step);
        }
        ElementAddress(r.Address, r.Element, (int)layout.KeyStride, r.Block);
        _asm.AluLoad(X64AluOperation.Cmp, keyWidth, r.Key, r.Address, (int)layout.KeysOffset);
        _asm.Jcc(X64Condition.Equal, found);
        _asm.Bind(step);
        ElementAddress(r.Address, r.Element, 4, r.Block);
        if (r.Link is { } next)
        {
            _asm.Lea(next, r.Address, (int)layout.NextOffset);
        }
        _asm.Load(X64Width.Dword, r.Element, r.Address, (int)layout.NextOffset);
        _asm.Alu(X64AluOperation.Add, X64Width.Dword, r.Steps, 1);
        _asm.Jmp(walk);
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
