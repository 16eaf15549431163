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
/// or per-CPU hash map the same checks, then the value of a key already present replaced under the
/// map's lock, which the code only tries. Every other case calls the helper, which answers as before.
/// </summary>
internal sealed partial class FunctionEmitter
{
    private const ulong HashMultiplier = 0x9E3779B97F4A7C15UL;

    private Dictionary<int, int>? _lookupSites;

    private bool TryEmitInlineLookup(HelperFunction helper, int pc)
    {
        if (ReferenceEquals(helper, MapHelpers.UpdateElem))
        {
            return TryEmitInlineUpdate(pc);
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
        var usable = LLVM.BuildAnd(_b,
            LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntNE, storage, _t.I64(0), ""),
            LLVM.BuildOr(_b,
                LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntEQ, flags, _t.I64((long)MapUpdateFlags.Any), ""),
                LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntEQ, flags, _t.I64((long)MapUpdateFlags.Exist), ""), ""), "");
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
            EmitHashUpdate(layout, index, storage, key, value, done, call);
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
    /// A plain or per-CPU hash map's update of a key already present: the map's lock tried once (held:
    /// the helper, which waits for it), the chain walked under it, the value replaced in place (as the
    /// map replaces it, under the same lock; per-CPU: the copy of the processor picked before the lock,
    /// as the helper picks it), the lock released, r0 = 0. An absent key (an insertion, or -ENOENT for
    /// BPF_EXIST) or a chain longer than the map goes to the helper after the lock is released.
    /// </summary>
    private void EmitHashUpdate(InlineLookup layout, int index, LLVMValueRef lockWord, LLVMValueRef keyAddress, LLVMValueRef value, LLVMBasicBlockRef done, LLVMBasicBlockRef call)
    {
        var block = LoadStorage(layout, index, call);
        var keyLoad = LLVM.BuildLoad2(_b, _t.OfBytes((int)layout.KeySize), LLVM.BuildIntToPtr(_b, keyAddress, _t.Pointer, ""), "key");
        LLVM.SetAlignment(keyLoad, 1);
        var key = layout.KeySize == 8 ? keyLoad : LLVM.BuildZExt(_b, keyLoad, _t.Int64, "");
        var hash = HashOf(key);
        // A per-CPU map's slot is picked before the lock, as the helper picks it: no call under the lock.
        var slot = layout.IsPerCpu ? CurrentSlot() : default;
        var lockPointer = LLVM.BuildIntToPtr(_b, lockWord, _t.Pointer, "");
        var exchange = LLVM.BuildAtomicCmpXchg(_b, lockPointer, _t.I32(0), _t.I32(1),
            LLVMAtomicOrdering.LLVMAtomicOrderingAcquire, LLVMAtomicOrdering.LLVMAtomicOrderingMonotonic, 0);
        var locked = NewBlock("hash.update.locked");
        LLVM.BuildCondBr(_b, _generator.Likely(LLVM.BuildExtractValue(_b, exchange, 1, "")), locked, call);

        LLVM.PositionBuilderAtEnd(_b, locked);
        var found = NewBlock("hash.update.found");
        var absent = NewBlock("hash.update.absent");
        var bucket = LLVM.BuildZExt(_b, LLVM.BuildAnd(_b, hash, _t.I32(layout.BucketCount - 1), ""), _t.Int64, "");
        var first = AtomicLoad(4, block, LLVM.BuildAdd(_b, _t.I64((long)InlineLookup.BucketsOffset), LLVM.BuildMul(_b, bucket, _t.I64(4), ""), ""));
        var element64 = EmitChainWalk(layout, block, first, hash, keyLoad, found, absent, absent);

        LLVM.PositionBuilderAtEnd(_b, found);
        var valueIndex = layout.IsPerCpu ? LLVM.BuildAdd(_b, LLVM.BuildMul(_b, element64, SlotCount(), ""), slot, "") : element64;
        var valueOffset = LLVM.BuildAdd(_b, _t.I64((long)layout.ValuesOffset), LLVM.BuildMul(_b, valueIndex, _t.I64((long)layout.ValueStride), ""), "");
        CopyValue(value, LLVM.BuildAdd(_b, block, valueOffset, ""), layout.ValueSize);
        Unlock(lockPointer);
        Set(0, _t.I64(0));
        LLVM.BuildBr(_b, done);

        // The end of the chain (or a walk longer than the map, which the lock rules out): the helper inserts, or answers -ENOENT.
        LLVM.PositionBuilderAtEnd(_b, absent);
        Unlock(lockPointer);
        LLVM.BuildBr(_b, call);
    }

    private void Unlock(LLVMValueRef lockPointer)
    {
        var release = LLVM.BuildStore(_b, _t.I32(0), lockPointer);
        LLVM.SetOrdering(release, LLVMAtomicOrdering.LLVMAtomicOrderingRelease);
        LLVM.SetAlignment(release, 4);
    }

    /// <summary>The map's hash of a 4- or 8-byte key (HashMap.Hash): multiplicative, 31 bits.</summary>
    private LLVMValueRef HashOf(LLVMValueRef key) =>
        LLVM.BuildTrunc(_b, LLVM.BuildLShr(_b, LLVM.BuildMul(_b, key, _t.I64(unchecked((long)HashMultiplier)), ""), _t.I64(33), ""), _t.Int32, "hash");

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
        var element64 = EmitChainWalk(layout, block, first, hash, wanted, found, absent, slow);

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
    /// branches to <paramref name="found"/> (where the returned zero-extended index is valid), to
    /// <paramref name="end"/> at the end of the chain, or to <paramref name="broken"/> for an index out
    /// of range or a walk longer than the map (a chain a racing writer left, read without the lock).
    /// </summary>
    private LLVMValueRef EmitChainWalk(InlineLookup layout, LLVMValueRef block, LLVMValueRef first, LLVMValueRef hash, LLVMValueRef key,
        LLVMBasicBlockRef found, LLVMBasicBlockRef end, LLVMBasicBlockRef broken)
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
        LLVM.BuildCondBr(_b, LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntEQ, element, _t.I32(InlineLookup.HashEnd), ""), end, check);

        LLVM.PositionBuilderAtEnd(_b, check);
        var bounded = LLVM.BuildAnd(_b,
            LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntULT, element, _t.I32((int)layout.MaxEntries), ""),
            LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntULE, steps, _t.I32((int)layout.MaxEntries), ""), "");
        LLVM.BuildCondBr(_b, bounded, inRange, broken);

        LLVM.PositionBuilderAtEnd(_b, inRange);
        var element64 = LLVM.BuildZExt(_b, element, _t.Int64, "");
        var slot4 = LLVM.BuildMul(_b, element64, _t.I64(4), "");
        var storedHash = AtomicLoad(4, block, LLVM.BuildAdd(_b, _t.I64((long)layout.HashesOffset), slot4, ""));
        LLVM.BuildCondBr(_b, LLVM.BuildICmp(_b, LLVMIntPredicate.LLVMIntEQ, storedHash, hash, ""), compare, step);

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
        return element64;
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
