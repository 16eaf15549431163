using Bpftime.Compiler.Llvm;
using Bpftime.Helpers;
using Bpftime.Maps;

namespace Bpftime.Compiler.IrGen;

/// <summary>
/// bpf_map_lookup_elem done by the code itself when the map is known where it is called
/// (<see cref="MapLookupSites"/>) and its layout is one <see cref="InlineLookup"/> describes: the
/// helper's result, computed without leaving native code. Arrays (global data included): the key's
/// bounds check and the value's address. Hash maps with 4- or 8-byte keys: the map's own lock-free
/// read (version, chain walk, version again); whenever that read cannot finish (a writer is at work,
/// the chain looks damaged), the helper is called as before, and it retries and locks as it always did;
/// so it is for a map disposed since the code was bound. bpf_map_update_elem with small values is done
/// here too (<see cref="InlineLookup.CanInlineUpdate"/>): on a plain or per-CPU array flags, key, value
/// pointer and index checked, then the copy (per-CPU: into the running processor's copy); on a plain
/// or per-CPU hash map the same checks, then, under the map's lock (which the code only tries), the
/// value of a key present replaced or an absent key inserted, with the map's free list, count and
/// version in its block (LRU maps: the element moved to, or linked at, the hot end of the recency list
/// in the block too, a full map's cold end evicted first). bpf_map_delete_elem of such a hash map is
/// done under the lock too. Every other case (a full plain hash map among them) calls the helper, which answers as before.
/// </summary>
internal sealed partial class FunctionEmitter
{
    private Dictionary<int, int>? _lookupSites;

    private bool TryEmitInlineLookup(HelperFunction helper, int pc)
    {
        if (ReferenceEquals(helper, MapHelpers.UpdateElem))
        {
            return TryEmitInlineUpdate(pc);
        }
        if (ReferenceEquals(helper, MapHelpers.DeleteElem))
        {
            return TryEmitInlineDelete(pc);
        }
        if (!ReferenceEquals(helper, MapHelpers.LookupElem))
        {
            return false;
        }
        _lookupSites ??= MapLookupSites.Find(Code);
        if (!_lookupSites.TryGetValue(pc, out var index) || index < 0 || index >= _generator.InlineLookups.Count
            || _generator.InlineLookups[index] is not { CanInline: true } layout)
        {
            return false;
        }
        var done = NewBlock($"lookup.done{pc}");
        var call = NewBlock($"lookup.call{pc}");
        var storage = LoadStorage(layout, index, call);
        var key = LoadLookupKey(layout, done, call, pc);
        if (layout.IsHash)
        {
            EmitHashLookup(layout, storage, key, done, call);
        }
        else
        {
            EmitArrayLookup(layout, storage, key, done);
        }

        // The helper itself, for what the code does not decide: a disposed map (NULL from verified
        // code, a fault in checked code, as the helper answers) and a hash read that met a writer.
        LLVM.PositionBuilderAtEnd(_b, call);
        PublishLiveFrames();
        Set(0, LLVM.BuildCall2(_b, _t.Helper, _generator.HelperDeclaration(HelperIds.MapLookupElem), Arguments(), ""));
        LLVM.BuildBr(_b, done);
        LLVM.PositionBuilderAtEnd(_b, done);
        return true;
    }

    /// <summary>
    /// bpf_map_update_elem(map, key, value, flags) on a plain or per-CPU array known at the call: with flags
    /// BPF_ANY or BPF_EXIST, a key and a value the code may read (checked code: in the context or the
    /// live stack, by the same one-compare region tests as any access; verified code: not NULL) and an
    /// index in range, the value is copied into the map and r0 is 0. Anything else (other flags, a key
    /// or value elsewhere, an index out of range, a map whose update word is 0) calls the helper, which
    /// answers, refuses or faults exactly as before.
    /// </summary>
    private bool TryEmitInlineUpdate(int pc)
    {
        _lookupSites ??= MapLookupSites.Find(Code);
        if (!_lookupSites.TryGetValue(pc, out var index) || index < 0 || index >= _generator.InlineLookups.Count
            || _generator.InlineLookups[index] is not { CanInlineUpdate: true } layout)
        {
            return false;
        }
        var done = NewBlock($"update.done{pc}");
        var call = NewBlock($"update.call{pc}");
        var fast = NewBlock($"update.fast{pc}");

        // Word 1 of the map's cell: where the code may write an array's values, a hash map's lock word;
        // 0 when the helper must do the update (see BpfMap.StorageCell).
        var cell = LLVM.BuildGEP2(_b, _t.Int8, _generator.DataSymbol(layout.SymbolFor(index)), [_t.I64(8)], "");
        var storage = LLVM.BuildLoad2(_b, _t.Int64, cell, "update.word");
        LLVM.SetAlignment(storage, 8);
        var flags = Get(4);
        // Hash maps: BPF_ANY, BPF_NOEXIST or BPF_EXIST (the code inserts and answers -EEXIST and -ENOENT);
        // arrays: BPF_ANY or BPF_EXIST (BPF_NOEXIST is the helper's -EEXIST).
        var flagsUsable = layout.IsHash
            ? LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntULE, flags, _t.I64((long)MapUpdateFlags.Exist), "")
            : LLVM.BuildOr(_b,
                LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntEQ, flags, _t.I64((long)MapUpdateFlags.Any), ""),
                LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntEQ, flags, _t.I64((long)MapUpdateFlags.Exist), ""), "");
        var usable = LLVM.BuildAnd(_b, LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntNE, storage, _t.I64(0), ""), flagsUsable, "");
        var key = Get(2);
        var value = Get(3);
        usable = LLVM.BuildAnd(_b, usable, LLVM.BuildAnd(_b, MayRead(key, layout.KeySize), MayRead(value, layout.ValueSize), ""), "");
        var keyReadable = NewBlock($"update.key{pc}");
        LLVM.BuildCondBr(_b, _generator.Likely(usable), keyReadable, call);

        LLVM.PositionBuilderAtEnd(_b, keyReadable);
        if (layout.IsHash)
        {
            LLVM.BuildBr(_b, fast);
            LLVM.PositionBuilderAtEnd(_b, fast);
            EmitHashUpdate(layout, index, storage, key, value, flags, done, call);
        }
        else
        {
            var keyLoad = LLVM.BuildLoad2(_b, _t.Int32, LLVM.BuildIntToPtr(_b, key, _t.Pointer, ""), "update.index");
            LLVM.SetAlignment(keyLoad, 1);
            var element = LLVM.BuildZExt(_b, keyLoad, _t.Int64, "");
            LLVM.BuildCondBr(_b, LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntULT, element, _t.I64(layout.MaxEntries), ""), fast, call);

            LLVM.PositionBuilderAtEnd(_b, fast);
            if (layout.IsPerCpu)
            {
                // The copy of the processor the code runs on, as the helper picks it.
                element = LLVM.BuildAdd(_b, LLVM.BuildMul(_b, element, SlotCount(), ""), CurrentSlot(), "");
            }
            CopyValue(value, LLVM.BuildAdd(_b, storage, LLVM.BuildMul(_b, element, _t.I64((long)layout.ValueStride), ""), ""), layout.ValueSize);
            Set(0, _t.I64(0));
            LLVM.BuildBr(_b, done);
        }

        LLVM.PositionBuilderAtEnd(_b, call);
        PublishLiveFrames();
        Set(0, LLVM.BuildCall2(_b, _t.Helper, _generator.HelperDeclaration(HelperIds.MapUpdateElem), Arguments(), ""));
        ReloadBudget();
        LLVM.BuildBr(_b, done);
        LLVM.PositionBuilderAtEnd(_b, done);
        return true;
    }

    /// <summary>
    /// Copies a value of <paramref name="size"/> bytes from <paramref name="source"/> to the 8-byte aligned
    /// <paramref name="target"/>: every piece loaded before any is stored, so a source overlapping the
    /// target (a value of the same map) is copied as the helper's memmove copies it.
    /// </summary>
    private void CopyValue(LLVMValueRef source, LLVMValueRef target, uint size)
    {
        var pieces = InlineLookup.CopyPieces(size);
        var loaded = new LLVMValueRef[pieces.Count];
        for (var p = 0; p < pieces.Count; p++)
        {
            var load = LLVM.BuildLoad2(_b, _t.OfBytes(pieces[p].Width), ByteAt(source, _t.I64(pieces[p].Offset)), "");
            LLVM.SetAlignment(load, 1);
            loaded[p] = load;
        }
        for (var p = 0; p < pieces.Count; p++)
        {
            var store = LLVM.BuildStore(_b, loaded[p], ByteAt(target, _t.I64(pieces[p].Offset)));
            // The pieces come widest first, so each lies on its own width.
            LLVM.SetAlignment(store, (uint)pieces[p].Width);
        }
    }

    /// <summary>
    /// A plain or per-CPU hash map's update: the map's lock tried once (held: the helper, which waits
    /// for it), the chain walked under it. A key present: -EEXIST for BPF_NOEXIST, else the value
    /// replaced in place (per-CPU: the copy of the processor picked before the lock, as the helper
    /// picks it). A key absent: -ENOENT for BPF_EXIST, else the insertion <see cref="HashMap.Update"/>
    /// does under the same lock (<see cref="EmitHashInsert"/>). The lock is released, r0 set. A full map
    /// (the helper's -E2BIG) or a chain longer than the map goes to the helper after the lock is released.
    /// </summary>
    private void EmitHashUpdate(InlineLookup layout, int index, LLVMValueRef lockWord, LLVMValueRef keyAddress, LLVMValueRef value, LLVMValueRef flags,
        LLVMBasicBlockRef done, LLVMBasicBlockRef call)
    {
        var block = LoadStorage(layout, index, call);
        var keyLoad = LLVM.BuildLoad2(_b, _t.OfBytes((int)layout.KeySize), LLVM.BuildIntToPtr(_b, keyAddress, _t.Pointer, ""), "key");
        LLVM.SetAlignment(keyLoad, 1);
        var key = layout.KeySize == 8 ? keyLoad : LLVM.BuildZExt(_b, keyLoad, _t.Int64, "");
        var hash = HashOf(key);
        // A per-CPU map's slot is picked before the lock, as the helper picks it: no call under the lock.
        var slot = layout.IsPerCpu ? CurrentSlot() : default;
        var lockPointer = TryLock(lockWord, call);
        var found = NewBlock("hash.update.found");
        var absent = NewBlock("hash.update.absent");
        var broken = NewBlock("hash.update.broken");
        var (bucketOffset, first) = BucketHead(layout, block, hash);
        var (element64, _) = EmitChainWalk(layout, block, first, hash, keyLoad, found, absent, broken);

        LLVM.PositionBuilderAtEnd(_b, found);
        var replace = NewBlock("hash.update.replace");
        LLVM.BuildCondBr(_b, LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntEQ, flags, _t.I64((long)MapUpdateFlags.NoExist), ""),
            Answer(lockPointer, -Errno.EEXIST, done), replace);
        LLVM.PositionBuilderAtEnd(_b, replace);
        CopyValue(value, ValueOf(layout, block, element64, slot), layout.ValueSize);
        if (layout.IsLru)
        {
            // HashMap.Touch: the element moves to the hot end (unlinking and relinking the hot end itself leaves the list as it was).
            UnlinkRecency(layout, block, element64);
            LinkHot(layout, block, element64);
        }
        LLVM.BuildBr(_b, Answer(lockPointer, 0, done));

        LLVM.PositionBuilderAtEnd(_b, absent);
        var insert = NewBlock("hash.update.insert");
        LLVM.BuildCondBr(_b, LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntEQ, flags, _t.I64((long)MapUpdateFlags.Exist), ""),
            Answer(lockPointer, -Errno.ENOENT, done), insert);
        LLVM.PositionBuilderAtEnd(_b, insert);
        EmitHashInsert(layout, block, bucketOffset, first, hash, keyLoad, value, slot, lockPointer, broken, Answer(lockPointer, 0, done));

        // A full map (-E2BIG), or a chain the lock rules out: the helper answers.
        LLVM.PositionBuilderAtEnd(_b, broken);
        Unlock(lockPointer);
        LLVM.BuildBr(_b, call);
    }

    /// <summary>
    /// Under the lock, with the key absent: the insertion <see cref="HashMap.Update"/> does. The first free
    /// element (none: an LRU map evicts its cold end first, <see cref="EmitLruEvict"/>; a plain one goes to
    /// <paramref name="full"/>, for the helper's -E2BIG) is taken off the free list, its
    /// key, zeroed value (every per-CPU copy, as the helper clears them) and the value's copy written, its
    /// hash set and the element put at the head of its bucket's chain, the count raised, all while the
    /// map's version is odd, so that lock-free lookups (compiled or the map's) retry rather than see a
    /// half-written element. Then to <paramref name="inserted"/> (still locked).
    /// </summary>
    private void EmitHashInsert(InlineLookup layout, LLVMValueRef block, LLVMValueRef bucketOffset, LLVMValueRef first, LLVMValueRef hash, LLVMValueRef key,
        LLVMValueRef value, LLVMValueRef slot, LLVMValueRef lockPointer, LLVMBasicBlockRef full, LLVMBasicBlockRef inserted)
    {
        var take = NewBlock("hash.insert.take");
        var free = AtomicLoad(4, block, InlineLookup.HashFreeOffset, LLVMAtomicOrdering.LLVMAtomicOrderingMonotonic);
        // HashEnd (-1) is above every index as unsigned: a full map, or a head out of range, is the helper's.
        var hasFree = LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntULT, free, _t.I32((int)layout.MaxEntries), "");
        if (layout.IsLru)
        {
            // A full LRU map evicts its cold end first (an empty recency list besides is the helper's).
            var fresh = NewBlock("hash.insert.fresh");
            var evict = NewBlock("hash.insert.evict");
            var evicting = NewBlock("hash.insert.evicting");
            LLVM.BuildCondBr(_b, _generator.Likely(hasFree), fresh, evict);
            LLVM.PositionBuilderAtEnd(_b, evict);
            var tail = AtomicLoad(4, block, InlineLookup.LruTailOffset, LLVMAtomicOrdering.LLVMAtomicOrderingMonotonic);
            LLVM.BuildCondBr(_b, LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntULT, tail, _t.I32((int)layout.MaxEntries), ""), evicting, full);
            LLVM.PositionBuilderAtEnd(_b, fresh);
            BeginChange(block);
            LLVM.BuildBr(_b, take);
            LLVM.PositionBuilderAtEnd(_b, evicting);
            BeginChange(block);
            var victim = EmitLruEvict(layout, block, tail);
            var evicted = LLVM.GetInsertBlock(_b);
            LLVM.BuildBr(_b, take);
            LLVM.PositionBuilderAtEnd(_b, take);
            var taken = LLVM.BuildPhi(_b, _t.Int32, "element");
            LLVM.AddIncoming(taken, [free, victim], [fresh, evicted]);
            free = taken;
            // The eviction may have changed the key's chain.
            first = AtomicLoad(4, block, bucketOffset);
        }
        else
        {
            LLVM.BuildCondBr(_b, _generator.Likely(hasFree), take, full);
            LLVM.PositionBuilderAtEnd(_b, take);
            BeginChange(block);
        }
        var element64 = LLVM.BuildZExt(_b, free, _t.Int64, "");
        var slot4 = LLVM.BuildMul(_b, element64, _t.I64(4), "");
        var nextOffset = LLVM.BuildAdd(_b, _t.I64((long)layout.NextOffset), slot4, "");
        AtomicStore(4, block, _t.I64(InlineLookup.HashFreeOffset), AtomicLoad(4, block, nextOffset));
        AtomicStore((int)layout.KeySize, block, LLVM.BuildAdd(_b, _t.I64((long)layout.KeysOffset), LLVM.BuildMul(_b, element64, _t.I64((long)layout.KeyStride), ""), ""), key);
        ZeroElement(layout, block, element64);
        // After the zeroing, as the helper's clear-then-copy: a source in the element itself (a stale value pointer) reads zeros, as there.
        CopyValue(value, ValueOf(layout, block, element64, slot), layout.ValueSize);
        AtomicStore(4, block, LLVM.BuildAdd(_b, _t.I64((long)layout.HashesOffset), slot4, ""), hash);
        AtomicStore(4, block, nextOffset, first);
        AtomicStore(4, block, bucketOffset, free);
        var countOffset = _t.I64(InlineLookup.HashCountOffset);
        AtomicStore(4, block, countOffset, LLVM.BuildAdd(_b, AtomicLoad(4, block, countOffset), _t.I32(1), ""));
        if (layout.IsLru)
        {
            LinkHot(layout, block, element64);
        }
        EndChange(block);
        LLVM.BuildBr(_b, inserted);
    }

    /// <summary>Clears an element's value bytes (every per-CPU copy), as the helper clears a new element's.</summary>
    private void ZeroElement(InlineLookup layout, LLVMValueRef block, LLVMValueRef element64)
    {
        var stride = (long)layout.ValueStride;
        if (!layout.IsPerCpu)
        {
            var target = LLVM.BuildAdd(_b, block, LLVM.BuildAdd(_b, _t.I64((long)layout.ValuesOffset), LLVM.BuildMul(_b, element64, _t.I64(stride), ""), ""), "");
            for (long offset = 0; offset < stride; offset += 8)
            {
                var store = LLVM.BuildStore(_b, _t.I64(0), ByteAt(target, _t.I64(offset)));
                LLVM.SetAlignment(store, 8);
            }
            return;
        }
        // Slots x stride bytes, the slot count known at run time: a loop of 8-byte stores (values are 8-byte aligned).
        var elementBytes = LLVM.BuildMul(_b, SlotCount(), _t.I64(stride), "");
        var start = LLVM.BuildAdd(_b, block, LLVM.BuildAdd(_b, _t.I64((long)layout.ValuesOffset), LLVM.BuildMul(_b, element64, elementBytes, ""), ""), "");
        var entry = LLVM.GetInsertBlock(_b);
        var loop = NewBlock("hash.insert.zero");
        var after = NewBlock("hash.insert.zeroed");
        LLVM.BuildBr(_b, loop);
        LLVM.PositionBuilderAtEnd(_b, loop);
        var offsetPhi = LLVM.BuildPhi(_b, _t.Int64, "zero.offset");
        var zero = LLVM.BuildStore(_b, _t.I64(0), ByteAt(start, offsetPhi));
        LLVM.SetAlignment(zero, 8);
        var nextOffset = LLVM.BuildAdd(_b, offsetPhi, _t.I64(8), "");
        LLVM.BuildCondBr(_b, LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntULT, nextOffset, elementBytes, ""), loop, after);
        LLVM.AddIncoming(offsetPhi, [_t.I64(0), nextOffset], [entry, loop]);
        LLVM.PositionBuilderAtEnd(_b, after);
    }

    /// <summary>
    /// bpf_map_delete_elem(map, key) on a plain, per-CPU or LRU hash map known at the call, whose cell offers
    /// the lock word: with a key the code may read (as for updates), the lock tried once (held: the
    /// helper, which waits), the chain walked under it; the element found is unlinked, its hash marked
    /// free and the element pushed on the free list, the count lowered (LRU: the element unlinked from the
    /// recency list), while the version is odd (as
    /// <see cref="HashMap.Delete"/> does under the same lock), r0 = 0; no element: -ENOENT. Anything
    /// else calls the helper, which answers, refuses or faults exactly as before.
    /// </summary>
    private bool TryEmitInlineDelete(int pc)
    {
        _lookupSites ??= MapLookupSites.Find(Code);
        if (!_lookupSites.TryGetValue(pc, out var index) || index < 0 || index >= _generator.InlineLookups.Count
            || _generator.InlineLookups[index] is not { CanInlineUpdate: true, IsHash: true } layout)
        {
            return false;
        }
        var done = NewBlock($"delete.done{pc}");
        var call = NewBlock($"delete.call{pc}");
        var keyReadable = NewBlock($"delete.key{pc}");
        var cell = LLVM.BuildGEP2(_b, _t.Int8, _generator.DataSymbol(layout.SymbolFor(index)), [_t.I64(8)], "");
        var lockWord = LLVM.BuildLoad2(_b, _t.Int64, cell, "delete.lock");
        LLVM.SetAlignment(lockWord, 8);
        var keyAddress = Get(2);
        var usable = LLVM.BuildAnd(_b, LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntNE, lockWord, _t.I64(0), ""), MayRead(keyAddress, layout.KeySize), "");
        LLVM.BuildCondBr(_b, _generator.Likely(usable), keyReadable, call);

        LLVM.PositionBuilderAtEnd(_b, keyReadable);
        var block = LoadStorage(layout, index, call);
        var keyLoad = LLVM.BuildLoad2(_b, _t.OfBytes((int)layout.KeySize), LLVM.BuildIntToPtr(_b, keyAddress, _t.Pointer, ""), "key");
        LLVM.SetAlignment(keyLoad, 1);
        var hash = HashOf(layout.KeySize == 8 ? keyLoad : LLVM.BuildZExt(_b, keyLoad, _t.Int64, ""));
        var lockPointer = TryLock(lockWord, call);
        var found = NewBlock("hash.delete.found");
        var absent = NewBlock("hash.delete.absent");
        var broken = NewBlock("hash.delete.broken");
        var (bucketOffset, first) = BucketHead(layout, block, hash);
        var (element64, previous) = EmitChainWalk(layout, block, first, hash, keyLoad, found, absent, broken);

        LLVM.PositionBuilderAtEnd(_b, found);
        BeginChange(block);
        var previousOffset = LLVM.BuildAdd(_b, _t.I64((long)layout.NextOffset), LLVM.BuildMul(_b, LLVM.BuildZExt(_b, previous, _t.Int64, ""), _t.I64(4), ""), "");
        var headOfChain = LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntEQ, previous, _t.I32(InlineLookup.HashEnd), "");
        FreeElement(layout, block, element64, LLVM.BuildSelect(_b, headOfChain, bucketOffset, previousOffset, ""));
        if (layout.IsLru)
        {
            UnlinkRecency(layout, block, element64);
        }
        EndChange(block);
        LLVM.BuildBr(_b, Answer(lockPointer, 0, done));

        LLVM.PositionBuilderAtEnd(_b, absent);
        LLVM.BuildBr(_b, Answer(lockPointer, -Errno.ENOENT, done));

        LLVM.PositionBuilderAtEnd(_b, broken);
        Unlock(lockPointer);
        LLVM.BuildBr(_b, call);

        LLVM.PositionBuilderAtEnd(_b, call);
        PublishLiveFrames();
        Set(0, LLVM.BuildCall2(_b, _t.Helper, _generator.HelperDeclaration(HelperIds.MapDeleteElem), Arguments(), ""));
        ReloadBudget();
        LLVM.BuildBr(_b, done);
        LLVM.PositionBuilderAtEnd(_b, done);
        return true;
    }

    /// <summary>
    /// LRU, under the lock: takes the element out of the recency list, as HashMap.UnlinkRecency does
    /// (its neighbours linked to each other, or the list's hot or cold end moved past it).
    /// </summary>
    private void UnlinkRecency(InlineLookup layout, LLVMValueRef block, LLVMValueRef element64)
    {
        var links = LruLinks(layout);
        var previous = AtomicLoad(4, block, LruLink(links, element64, 0));
        var next = AtomicLoad(4, block, LruLink(links, element64, 4));
        AtomicStore(4, block, LruLinkOrEnd(links, previous, 4, InlineLookup.LruHeadOffset), next);
        AtomicStore(4, block, LruLinkOrEnd(links, next, 0, InlineLookup.LruTailOffset), previous);
    }

    /// <summary>
    /// HashMap.Allocate on a full LRU map, under the lock with the version odd: from the cold end
    /// (<paramref name="tail"/>), referenced elements get their second chance (unmarked and moved to the
    /// hot end, at most the count of them), then the cold end is evicted: unlinked from its chain (found by
    /// walking it) and from the recency list, marked free, pushed on the free list, the count lowered.
    /// Returns the evicted element (the free list's head), which the insertion then takes. The
    /// structures are the lock holder's alone, so the walks trust them as HashMap's do.
    /// </summary>
    private LLVMValueRef EmitLruEvict(InlineLookup layout, LLVMValueRef block, LLVMValueRef tail)
    {
        var entry = LLVM.GetInsertBlock(_b);
        var look = NewBlock("lru.evict.look");
        var again = NewBlock("lru.evict.again");
        var chosen = NewBlock("lru.evict.chosen");
        var countOffset = _t.I64(InlineLookup.HashCountOffset);
        LLVM.BuildBr(_b, look);

        LLVM.PositionBuilderAtEnd(_b, look);
        var victim = LLVM.BuildPhi(_b, _t.Int32, "victim");
        var chances = LLVM.BuildPhi(_b, _t.Int32, "chances");
        var referenced = AtomicLoad(1, block, LLVM.BuildAdd(_b, _t.I64((long)layout.ReferencedOffset), LLVM.BuildZExt(_b, victim, _t.Int64, ""), ""));
        var secondChance = LLVM.BuildAnd(_b,
            LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntNE, referenced, LLVM.ConstInt(_t.Int8, 0, 0), ""),
            LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntSLT, chances, AtomicLoad(4, block, countOffset), ""), "");
        LLVM.BuildCondBr(_b, secondChance, again, chosen);

        LLVM.PositionBuilderAtEnd(_b, again);
        var moved = LLVM.BuildZExt(_b, victim, _t.Int64, "");
        UnlinkRecency(layout, block, moved);
        LinkHot(layout, block, moved);
        var colder = AtomicLoad(4, block, InlineLookup.LruTailOffset, LLVMAtomicOrdering.LLVMAtomicOrderingMonotonic);
        var moreChances = LLVM.BuildAdd(_b, chances, _t.I32(1), "");
        LLVM.BuildBr(_b, look);
        LLVM.AddIncoming(victim, [tail, colder], [entry, again]);
        LLVM.AddIncoming(chances, [_t.I32(0), moreChances], [entry, again]);

        // The word that links the victim: its bucket's, or its predecessor's next word.
        LLVM.PositionBuilderAtEnd(_b, chosen);
        var victim64 = LLVM.BuildZExt(_b, victim, _t.Int64, "");
        var slot4 = LLVM.BuildMul(_b, victim64, _t.I64(4), "");
        var hashOffset = LLVM.BuildAdd(_b, _t.I64((long)layout.HashesOffset), slot4, "");
        var (bucketOffset, _) = BucketHead(layout, block, AtomicLoad(4, block, hashOffset));
        var walkEntry = LLVM.GetInsertBlock(_b);
        var walk = NewBlock("lru.evict.walk");
        var step = NewBlock("lru.evict.step");
        var found = NewBlock("lru.evict.found");
        LLVM.BuildBr(_b, walk);
        LLVM.PositionBuilderAtEnd(_b, walk);
        var link = LLVM.BuildPhi(_b, _t.Int64, "link");
        var current = AtomicLoad(4, block, link);
        LLVM.BuildCondBr(_b, LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntEQ, current, victim, ""), found, step);
        LLVM.PositionBuilderAtEnd(_b, step);
        var nextLink = LLVM.BuildAdd(_b, _t.I64((long)layout.NextOffset), LLVM.BuildMul(_b, LLVM.BuildZExt(_b, current, _t.Int64, ""), _t.I64(4), ""), "");
        LLVM.BuildBr(_b, walk);
        LLVM.AddIncoming(link, [bucketOffset, nextLink], [walkEntry, step]);

        LLVM.PositionBuilderAtEnd(_b, found);
        FreeElement(layout, block, victim64, link);
        UnlinkRecency(layout, block, victim64);
        return victim;
    }

    /// <summary>
    /// HashMap.Unlink's chain part, with the version odd: the element taken out of its chain (the word at
    /// <paramref name="linkOffset"/>, its bucket's or its predecessor's next word, pointed past it), its
    /// hash marked free, pushed on the free list, the count lowered.
    /// </summary>
    private void FreeElement(InlineLookup layout, LLVMValueRef block, LLVMValueRef element64, LLVMValueRef linkOffset)
    {
        var slot4 = LLVM.BuildMul(_b, element64, _t.I64(4), "");
        var nextOffset = LLVM.BuildAdd(_b, _t.I64((long)layout.NextOffset), slot4, "");
        AtomicStore(4, block, linkOffset, AtomicLoad(4, block, nextOffset));
        AtomicStore(4, block, LLVM.BuildAdd(_b, _t.I64((long)layout.HashesOffset), slot4, ""), _t.I32(InlineLookup.FreeHash));
        var freeOffset = _t.I64(InlineLookup.HashFreeOffset);
        AtomicStore(4, block, nextOffset, AtomicLoad(4, block, freeOffset));
        AtomicStore(4, block, freeOffset, LLVM.BuildTrunc(_b, element64, _t.Int32, ""));
        var countOffset = _t.I64(InlineLookup.HashCountOffset);
        AtomicStore(4, block, countOffset, LLVM.BuildSub(_b, AtomicLoad(4, block, countOffset), _t.I32(1), ""));
    }

    /// <summary>LRU, under the lock: marks the element not referenced and links it at the hot end, as HashMap.LinkFront does.</summary>
    private void LinkHot(InlineLookup layout, LLVMValueRef block, LLVMValueRef element64)
    {
        var links = LruLinks(layout);
        var element = LLVM.BuildTrunc(_b, element64, _t.Int32, "");
        var unmark = LLVM.BuildStore(_b, LLVM.ConstInt(_t.Int8, 0, 0), ByteAt(block, LLVM.BuildAdd(_b, _t.I64((long)layout.ReferencedOffset), element64, "")));
        LLVM.SetOrdering(unmark, LLVMAtomicOrdering.LLVMAtomicOrderingMonotonic);
        LLVM.SetAlignment(unmark, 1);
        var head = AtomicLoad(4, block, InlineLookup.LruHeadOffset, LLVMAtomicOrdering.LLVMAtomicOrderingMonotonic);
        AtomicStore(4, block, LruLink(links, element64, 0), _t.I32(InlineLookup.HashEnd));
        AtomicStore(4, block, LruLink(links, element64, 4), head);
        // The old hot end's previous link, or for an empty list its cold end (both ends are empty together).
        AtomicStore(4, block, LruLinkOrEnd(links, head, 0, InlineLookup.LruTailOffset), element);
        AtomicStore(4, block, _t.I64(InlineLookup.LruHeadOffset), element);
    }

    /// <summary>Where an LRU map's recency links start in its block (per-CPU maps: after every slot's values, so at run time).</summary>
    private LLVMValueRef LruLinks(InlineLookup layout) => layout.IsPerCpu
        ? LLVM.BuildAdd(_b, _t.I64((long)layout.ValuesOffset), LLVM.BuildMul(_b, SlotCount(), _t.I64((long)(layout.ValueStride * layout.MaxEntries)), ""), "")
        : _t.I64((long)layout.LruLinksOffset(1));

    /// <summary>The offset of an element's previous (<paramref name="field"/> 0) or next (4) recency link.</summary>
    private LLVMValueRef LruLink(LLVMValueRef links, LLVMValueRef element64, int field) =>
        LLVM.BuildAdd(_b, links, LLVM.BuildAdd(_b, LLVM.BuildMul(_b, element64, _t.I64(InlineLookup.LruLinkBytes), ""), _t.I64(field), ""), "");

    /// <summary>The offset of <paramref name="element"/>'s link <paramref name="field"/>, or of the header word <paramref name="end"/> when it is <see cref="InlineLookup.HashEnd"/>.</summary>
    private LLVMValueRef LruLinkOrEnd(LLVMValueRef links, LLVMValueRef element, int field, int end) =>
        LLVM.BuildSelect(_b, LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntEQ, element, _t.I32(InlineLookup.HashEnd), ""),
            _t.I64(end), LruLink(links, LLVM.BuildZExt(_b, element, _t.Int64, ""), field), "");

    /// <summary>Tries the map's lock word once (acquire); continues locked in a new block, or branches to <paramref name="call"/> when it is held. Returns the word's pointer.</summary>
    private LLVMValueRef TryLock(LLVMValueRef lockWord, LLVMBasicBlockRef call)
    {
        var lockPointer = LLVM.BuildIntToPtr(_b, lockWord, _t.Pointer, "");
        var exchange = LLVM.BuildAtomicCmpXchg(_b, lockPointer, _t.I32(0), _t.I32(1),
            LLVMAtomicOrdering.LLVMAtomicOrderingAcquire, LLVMAtomicOrdering.LLVMAtomicOrderingMonotonic, 0);
        var locked = NewBlock("hash.locked");
        LLVM.BuildCondBr(_b, _generator.Likely(LLVM.BuildExtractValue(_b, exchange, 1, "")), locked, call);
        LLVM.PositionBuilderAtEnd(_b, locked);
        return lockPointer;
    }

    /// <summary>A new block that releases the lock, sets r0 to <paramref name="result"/> and goes to <paramref name="done"/>.</summary>
    private LLVMBasicBlockRef Answer(LLVMValueRef lockPointer, long result, LLVMBasicBlockRef done)
    {
        var here = LLVM.GetInsertBlock(_b);
        var answer = NewBlock("hash.answer");
        LLVM.PositionBuilderAtEnd(_b, answer);
        Unlock(lockPointer);
        Set(0, _t.I64(result));
        LLVM.BuildBr(_b, done);
        LLVM.PositionBuilderAtEnd(_b, here);
        return answer;
    }

    /// <summary>The offset of the hash's bucket word and the chain's first element, read at the current point.</summary>
    private (LLVMValueRef Offset, LLVMValueRef First) BucketHead(InlineLookup layout, LLVMValueRef block, LLVMValueRef hash)
    {
        var bucket = LLVM.BuildZExt(_b, LLVM.BuildAnd(_b, hash, _t.I32(layout.BucketCount - 1), ""), _t.Int64, "");
        var offset = LLVM.BuildAdd(_b, _t.I64((long)InlineLookup.BucketsOffset), LLVM.BuildMul(_b, bucket, _t.I64(4), ""), "");
        return (offset, AtomicLoad(4, block, offset));
    }

    /// <summary>The address of an element's value (per-CPU: of the copy in <paramref name="slot"/>).</summary>
    private LLVMValueRef ValueOf(InlineLookup layout, LLVMValueRef block, LLVMValueRef element64, LLVMValueRef slot)
    {
        var valueIndex = layout.IsPerCpu ? LLVM.BuildAdd(_b, LLVM.BuildMul(_b, element64, SlotCount(), ""), slot, "") : element64;
        return LLVM.BuildAdd(_b, block, LLVM.BuildAdd(_b, _t.I64((long)layout.ValuesOffset), LLVM.BuildMul(_b, valueIndex, _t.I64((long)layout.ValueStride), ""), ""), "");
    }

    /// <summary>
    /// Makes the map's version odd before a change, the writer's half of the seqlock the lock-free
    /// lookups read: the odd version stored, then a release fence, so a lookup that sees any store of
    /// the change (its loads, then an acquire fence, then the version again) also sees the version
    /// moved. Only the lock holder writes the version, so a plain read-and-store does what the map's
    /// Interlocked.Increment does, without a locked instruction.
    /// </summary>
    private void BeginChange(LLVMValueRef block)
    {
        var version = AtomicLoad(4, block, 0, LLVMAtomicOrdering.LLVMAtomicOrderingMonotonic);
        AtomicStore(4, block, _t.I64(0), LLVM.BuildAdd(_b, version, _t.I32(1), ""));
        LLVM.BuildFence(_b, LLVMAtomicOrdering.LLVMAtomicOrderingRelease, 0, "");
    }

    /// <summary>Makes the version even again after a change: a release store, after every store of the change.</summary>
    private void EndChange(LLVMValueRef block)
    {
        var version = AtomicLoad(4, block, 0, LLVMAtomicOrdering.LLVMAtomicOrderingMonotonic);
        var store = LLVM.BuildStore(_b, LLVM.BuildAdd(_b, version, _t.I32(1), ""), ByteAt(block, _t.I64(0)));
        LLVM.SetOrdering(store, LLVMAtomicOrdering.LLVMAtomicOrderingRelease);
        LLVM.SetAlignment(store, 4);
    }

    /// <summary>A store of data lock-free readers load concurrently: atomic (never torn), naturally aligned.</summary>
    private void AtomicStore(int bytes, LLVMValueRef block, LLVMValueRef offset, LLVMValueRef value)
    {
        var store = LLVM.BuildStore(_b, value, ByteAt(block, offset));
        LLVM.SetOrdering(store, LLVMAtomicOrdering.LLVMAtomicOrderingMonotonic);
        LLVM.SetAlignment(store, (uint)bytes);
    }

    private void Unlock(LLVMValueRef lockPointer)
    {
        var release = LLVM.BuildStore(_b, _t.I32(0), lockPointer);
        LLVM.SetOrdering(release, LLVMAtomicOrdering.LLVMAtomicOrderingRelease);
        LLVM.SetAlignment(release, 4);
    }

    /// <summary>The map's hash of a 4- or 8-byte key (HashMap.Hash): multiplicative, 31 bits.</summary>
    private LLVMValueRef HashOf(LLVMValueRef key) =>
        LLVM.BuildTrunc(_b, LLVM.BuildLShr(_b, LLVM.BuildMul(_b, key, _t.I64(unchecked((long)InlineLookup.HashMultiplier)), ""), _t.I64(InlineLookup.HashShift), ""), _t.Int32, "hash");

    /// <summary>
    /// Whether the code may read [address, address + size) without asking the runtime: checked code, when
    /// it lies in the live stack or the context (the one-compare tests of every checked access, with the
    /// limit for this size derived from the one for single bytes); verified code, when it is not NULL.
    /// </summary>
    private LLVMValueRef MayRead(LLVMValueRef address, uint size)
    {
        if (!_program.CheckMemory)
        {
            return LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntNE, address, _t.I64(0), "");
        }
        return LLVM.BuildOr(_b,
            InRegion(address, _frameBase, SizeLimit(_stackLimits, size)),
            InRegion(address, _contextStart, SizeLimit(_contextLimits, size)), "");
    }

    /// <summary>The count of addresses an access of <paramref name="size"/> bytes may start at, from the per-size limits (index 0: the region's length).</summary>
    private LLVMValueRef SizeLimit(LLVMValueRef[] limits, uint size)
    {
        if (size is 1 or 2 or 4 or 8)
        {
            return limits[SizeIndex((int)size)];
        }
        var length = limits[0];
        var shorter = _t.I64(size - 1);
        return LLVM.BuildSelect(_b, LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntUGT, length, shorter, ""),
            LLVM.BuildSub(_b, length, shorter, ""), _t.I64(0), "");
    }

    private LLVMBasicBlockRef NewBlock(string name) => LLVM.AppendBasicBlockInContext(_generator.Context, _function, name);

    /// <summary>
    /// Reads the key at r2 as the helper does: verified code passes a null key to a helper that answers
    /// NULL; checked code reads it here only when it lies in the context or the live stack (where keys
    /// are), and otherwise lets the helper check it, so that a bad key is refused exactly as before.
    /// </summary>
    private LLVMValueRef LoadLookupKey(InlineLookup layout, LLVMBasicBlockRef done, LLVMBasicBlockRef call, int pc)
    {
        var address = Get(2);
        if (_program.CheckMemory)
        {
            // The same one-compare region tests as any checked access (keys are 4 or 8 bytes); a key
            // elsewhere, or of another size, goes to the helper, which checks it.
            var inside = LLVM.ConstInt(_t.Int1, 0, 0);
            if (layout.KeySize is 1 or 2 or 4 or 8)
            {
                var index = SizeIndex((int)layout.KeySize);
                inside = LLVM.BuildOr(_b,
                    InRegion(address, _frameBase, _stackLimits[index]),
                    InRegion(address, _contextStart, _contextLimits[index]), "");
            }
            var readable = NewBlock($"lookup.key{pc}");
            LLVM.BuildCondBr(_b, inside, readable, call);
            LLVM.PositionBuilderAtEnd(_b, readable);
        }
        else
        {
            var present = NewBlock($"lookup.key{pc}");
            Set(0, _t.I64(0));
            LLVM.BuildCondBr(_b, LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntEQ, address, _t.I64(0), ""), done, present);
            LLVM.PositionBuilderAtEnd(_b, present);
        }
        var load = LLVM.BuildLoad2(_b, _t.OfBytes((int)layout.KeySize), LLVM.BuildIntToPtr(_b, address, _t.Pointer, ""), "key");
        LLVM.SetAlignment(load, 1);
        return layout.KeySize == 8 ? load : LLVM.BuildZExt(_b, load, _t.Int64, "");
    }

    private void EmitArrayLookup(InlineLookup layout, LLVMValueRef storage, LLVMValueRef key, LLVMBasicBlockRef done)
    {
        var hit = NewBlock("lookup.hit");
        var miss = NewBlock("lookup.miss");
        // The key is a zero-extended u32: no negative or truncated index can pass the compare.
        LLVM.BuildCondBr(_b, LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntULT, key, _t.I64(layout.MaxEntries), ""), hit, miss);

        LLVM.PositionBuilderAtEnd(_b, hit);
        var element = key;
        if (layout.IsPerCpu)
        {
            element = LLVM.BuildAdd(_b, LLVM.BuildMul(_b, key, SlotCount(), ""), CurrentSlot(), "");
        }
        var offset = LLVM.BuildMul(_b, element, _t.I64((long)layout.ValueStride), "");
        Set(0, LLVM.BuildAdd(_b, storage, offset, "value"));
        LLVM.BuildBr(_b, done);

        LLVM.PositionBuilderAtEnd(_b, miss);
        Set(0, _t.I64(0));
        LLVM.BuildBr(_b, done);
    }

    private void EmitHashLookup(InlineLookup layout, LLVMValueRef block, LLVMValueRef key, LLVMBasicBlockRef done, LLVMBasicBlockRef slow)
    {
        var start = NewBlock("hash.start");
        var absent = NewBlock("hash.absent");
        var found = NewBlock("hash.found");
        var foundStable = NewBlock("hash.found.stable");
        var absentStable = NewBlock("hash.absent.stable");

        var hash = HashOf(key);
        var version = AtomicLoad(4, block, 0, LLVMAtomicOrdering.LLVMAtomicOrderingAcquire);
        var writing = LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntNE, LLVM.BuildAnd(_b, version, _t.I32(1), ""), _t.I32(0), "");
        LLVM.BuildCondBr(_b, writing, slow, start);

        LLVM.PositionBuilderAtEnd(_b, start);
        var bucket = LLVM.BuildZExt(_b, LLVM.BuildAnd(_b, hash, _t.I32(layout.BucketCount - 1), ""), _t.Int64, "");
        var first = AtomicLoad(4, block, LLVM.BuildAdd(_b, _t.I64((long)InlineLookup.BucketsOffset), LLVM.BuildMul(_b, bucket, _t.I64(4), ""), ""));
        var wanted = layout.KeySize == 8 ? key : LLVM.BuildTrunc(_b, key, _t.OfBytes((int)layout.KeySize), "");
        // The key alone decides (4 or 8 bytes, compared whole): a lookup does not read the hashes, one
        // load and one cache line fewer per step; the version check covers what a writer changes meanwhile.
        var (element64, _) = EmitChainWalk(layout, block, first, hash, wanted, found, absent, slow, compareHashes: false);

        // What the walk read counts only if no writer began meanwhile: the version is read again after an acquire fence.
        LLVM.PositionBuilderAtEnd(_b, found);
        LLVM.BuildCondBr(_b, VersionUnchanged(block, version), foundStable, slow);
        LLVM.PositionBuilderAtEnd(_b, foundStable);
        if (layout.IsLru)
        {
            // As the helper's lock-free path: the element is only marked referenced (a second chance at eviction).
            var mark = LLVM.BuildStore(_b, LLVM.ConstInt(_t.Int8, 1, 0), ByteAt(block, LLVM.BuildAdd(_b, _t.I64((long)layout.ReferencedOffset), element64, "")));
            LLVM.SetOrdering(mark, LLVMAtomicOrdering.LLVMAtomicOrderingMonotonic);
            LLVM.SetAlignment(mark, 1);
        }
        var valueIndex = layout.IsPerCpu
            ? LLVM.BuildAdd(_b, LLVM.BuildMul(_b, element64, SlotCount(), ""), CurrentSlot(), "")
            : element64;
        var valueOffset = LLVM.BuildAdd(_b, _t.I64((long)layout.ValuesOffset), LLVM.BuildMul(_b, valueIndex, _t.I64((long)layout.ValueStride), ""), "");
        Set(0, LLVM.BuildAdd(_b, block, valueOffset, "value"));
        LLVM.BuildBr(_b, done);

        LLVM.PositionBuilderAtEnd(_b, absent);
        LLVM.BuildCondBr(_b, VersionUnchanged(block, version), absentStable, slow);
        LLVM.PositionBuilderAtEnd(_b, absentStable);
        Set(0, _t.I64(0));
        LLVM.BuildBr(_b, done);
    }

    /// <summary>
    /// Walks the chain that starts at <paramref name="first"/> (from the current block) for the element
    /// whose hash and key are <paramref name="hash"/> and <paramref name="key"/> (of the key's width):
    /// branches to <paramref name="found"/> (where the returned zero-extended index and its predecessor in
    /// the chain, <see cref="InlineLookup.HashEnd"/> at the head, are valid), to
    /// <paramref name="end"/> at the end of the chain, or to <paramref name="broken"/> for an index out
    /// of range or a walk longer than the map (a chain a racing writer left, read without the lock).
    /// With <paramref name="compareHashes"/> false the stored hash is not read: the key alone decides.
    /// </summary>
    private (LLVMValueRef Element, LLVMValueRef Previous) EmitChainWalk(InlineLookup layout, LLVMValueRef block, LLVMValueRef first, LLVMValueRef hash, LLVMValueRef key,
        LLVMBasicBlockRef found, LLVMBasicBlockRef end, LLVMBasicBlockRef broken, bool compareHashes = true)
    {
        var entry = LLVM.GetInsertBlock(_b);
        var walk = NewBlock("hash.walk");
        var check = NewBlock("hash.check");
        var inRange = NewBlock("hash.inrange");
        var compare = NewBlock("hash.compare");
        var step = NewBlock("hash.step");
        LLVM.BuildBr(_b, walk);

        LLVM.PositionBuilderAtEnd(_b, walk);
        var element = LLVM.BuildPhi(_b, _t.Int32, "element");
        var steps = LLVM.BuildPhi(_b, _t.Int32, "steps");
        var previous = LLVM.BuildPhi(_b, _t.Int32, "previous");
        LLVM.BuildCondBr(_b, LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntEQ, element, _t.I32(InlineLookup.HashEnd), ""), end, check);

        LLVM.PositionBuilderAtEnd(_b, check);
        var bounded = LLVM.BuildAnd(_b,
            LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntULT, element, _t.I32((int)layout.MaxEntries), ""),
            LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntULE, steps, _t.I32((int)layout.MaxEntries), ""), "");
        LLVM.BuildCondBr(_b, bounded, inRange, broken);

        LLVM.PositionBuilderAtEnd(_b, inRange);
        var element64 = LLVM.BuildZExt(_b, element, _t.Int64, "");
        var slot4 = LLVM.BuildMul(_b, element64, _t.I64(4), "");
        if (compareHashes)
        {
            var storedHash = AtomicLoad(4, block, LLVM.BuildAdd(_b, _t.I64((long)layout.HashesOffset), slot4, ""));
            LLVM.BuildCondBr(_b, LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntEQ, storedHash, hash, ""), compare, step);
        }
        else
        {
            LLVM.BuildBr(_b, compare);
        }

        LLVM.PositionBuilderAtEnd(_b, compare);
        var keyOffset = LLVM.BuildAdd(_b, _t.I64((long)layout.KeysOffset), LLVM.BuildMul(_b, element64, _t.I64((long)layout.KeyStride), ""), "");
        var storedKey = AtomicLoad((int)layout.KeySize, block, keyOffset);
        LLVM.BuildCondBr(_b, LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntEQ, storedKey, key, ""), found, step);

        LLVM.PositionBuilderAtEnd(_b, step);
        var next = AtomicLoad(4, block, LLVM.BuildAdd(_b, _t.I64((long)layout.NextOffset), slot4, ""));
        var moreSteps = LLVM.BuildAdd(_b, steps, _t.I32(1), "");
        LLVM.BuildBr(_b, walk);
        LLVM.AddIncoming(element, [first, next], [entry, step]);
        LLVM.AddIncoming(steps, [_t.I32(0), moreSteps], [entry, step]);
        LLVM.AddIncoming(previous, [_t.I32(InlineLookup.HashEnd), element], [entry, step]);
        return (element64, previous);
    }

    private LLVMValueRef VersionUnchanged(LLVMValueRef block, LLVMValueRef version)
    {
        LLVM.BuildFence(_b, LLVMAtomicOrdering.LLVMAtomicOrderingAcquire, 0, "");
        var again = AtomicLoad(4, block, 0, LLVMAtomicOrdering.LLVMAtomicOrderingMonotonic);
        return LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntEQ, again, version, "");
    }

    private LLVMValueRef ByteAt(LLVMValueRef block, LLVMValueRef offset) =>
        LLVM.BuildIntToPtr(_b, LLVM.BuildAdd(_b, block, offset, ""), _t.Pointer, "");

    private LLVMValueRef AtomicLoad(int bytes, LLVMValueRef block, long offset, LLVMAtomicOrdering ordering) =>
        AtomicLoad(bytes, block, _t.I64(offset), ordering);

    /// <summary>A load of data a writer may change concurrently: atomic (never torn, never assumed stable by LLVM), naturally aligned.</summary>
    private LLVMValueRef AtomicLoad(int bytes, LLVMValueRef block, LLVMValueRef offset, LLVMAtomicOrdering ordering = LLVMAtomicOrdering.LLVMAtomicOrderingMonotonic)
    {
        var load = LLVM.BuildLoad2(_b, _t.OfBytes(bytes), ByteAt(block, offset), "");
        LLVM.SetOrdering(load, ordering);
        LLVM.SetAlignment(load, (uint)bytes);
        return load;
    }

    /// <summary>
    /// The map's storage address (<see cref="InlineLookup.StorageOf"/>), read from the word the JIT or
    /// the linker bound after the layout check; 0 (the map was disposed) goes to the helper, which answers for a map that is gone.
    /// A plain load: the word changes only when the map goes away, which no run may overlap, so LLVM may
    /// hoist it out of loops.
    /// </summary>
    private LLVMValueRef LoadStorage(InlineLookup layout, int index, LLVMBasicBlockRef call)
    {
        var storage = LLVM.BuildLoad2(_b, _t.Int64, _generator.DataSymbol(layout.SymbolFor(index)), "storage");
        LLVM.SetAlignment(storage, 8);
        var live = NewBlock("lookup.live");
        LLVM.BuildCondBr(_b, LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntEQ, storage, _t.I64(0), ""), call, live);
        LLVM.PositionBuilderAtEnd(_b, live);
        return storage;
    }

    /// <summary>How many slots per-CPU values have: a symbol whose address is the number.</summary>
    private LLVMValueRef SlotCount() =>
        LLVM.BuildPtrToInt(_b, _generator.DataSymbol(InlineLookup.SlotCountSymbol), _t.Int64, "slots");

    /// <summary>The slot of the processor the thread runs on, as the helper picks it: the CPU number modulo the slot count.</summary>
    private LLVMValueRef CurrentSlot()
    {
        var (type, function) = _generator.RuntimeFunction(InlineLookup.CurrentCpuSymbol, LLVM.FunctionType(_t.Int32, []));
        var cpu = LLVM.BuildCall2(_b, type, function, [], "cpu");
        return LLVM.BuildURem(_b, LLVM.BuildZExt(_b, cpu, _t.Int64, ""), SlotCount(), "slot");
    }
}
