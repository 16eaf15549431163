using Bpftime.Helpers;
using Bpftime.Maps;

namespace Bpftime.Engines.X64;

/// <summary>
/// bpf_map_delete_elem of a plain, per-CPU or LRU hash map known where it is called, done by the code under
/// the map's lock as llvm-jit and aot code does it (and as <see cref="HashMap.Delete"/> does under the
/// same lock): the lock word tried once (held: the helper, which waits for it), the chain walked with
/// the address of the word that links each element, the element found unlinked, marked free and pushed
/// on the free list, the count lowered (LRU: the element unlinked from the recency list), all while the map's version is odd; r0 = 0, or -ENOENT when the
/// key is absent. A key the code may not read, a disposed map, a map whose cell offers no lock word or
/// a chain longer than the map go to the helper, which answers as before.
/// </summary>
internal sealed partial class X64Compiler
{
    private bool TryEmitInlineDelete(HelperFunction helper, int i)
    {
        _lookupSites ??= MapLookupSites.Find(_code);
        if (!_lookupSites.TryGetValue(i, out var index) || index < 0 || index >= _image.Maps.Count)
        {
            return false;
        }
        var map = _image.Maps[index];
        if (InlineLookup.ForMap(map) is not { CanInlineUpdate: true, IsHash: true } layout || layout.ValuesOffset > int.MaxValue
            || (layout.IsLru && LruLinksDisplacement(layout) < 0))
        {
            return false;
        }
        // r1 and r2 (rdi, rsi) stay intact for the helper, which ignores r3-r5 (rdx, r9, r8).
        const X64Register Lock = X64Register.R9;
        const X64Register Block = Scratch2;
        const X64Register Key = Scratch;
        const X64Register Element = X64Register.Rcx;
        const X64Register Link = X64Register.Rdx;
        const X64Register Steps = X64Register.R8;
        const X64Register Address = X64Register.Rax;
        var keyWidth = layout.KeySize == 8 ? X64Width.Qword : X64Width.Dword;
        var call = _asm.CreateLabel();
        var done = _asm.CreateLabel();
        var found = _asm.CreateLabel();
        var absent = _asm.CreateLabel();
        var broken = _asm.CreateLabel();

        // Word 1 of the cell: the lock word (0: the helper); word 0: the block (0 once disposed).
        _asm.MovAbsolute(X64Register.Rax, map.StorageCell);
        _asm.Load(X64Width.Qword, Lock, X64Register.Rax, 8);
        _asm.Test(X64Width.Qword, Lock, Lock);
        _asm.Jcc(X64Condition.Equal, call);
        CheckReadable(Host(2), (int)layout.KeySize, call, call);
        _asm.MovAbsolute(X64Register.Rax, map.StorageCell);
        _asm.Load(X64Width.Qword, Block, X64Register.Rax, 0);
        _asm.Test(X64Width.Qword, Block, Block);
        _asm.Jcc(X64Condition.Equal, call);
        _asm.Load(keyWidth, Key, Host(2), 0);

        EmitTryLock(Lock, Element, call);

        // The walk keeps in Link the word that points at the element, compares keys alone (equal keys
        // have equal hashes) and is bounded as the lock-free read bounds it.
        EmitKeyHash(Element, Key);
        EmitChainWalk(layout, new ChainWalk(Block, Element, Steps, Address, Key, null, Link), absent, broken, found);

        // The change, with the version odd. x86 keeps stores in order, so a lock-free lookup that sees
        // any of them sees the odd version; only the lock holder writes the version, so plain stores do.
        _asm.Bind(found);
        BumpVersion(Block, Key);
        EmitFreeElement(layout, Block, Element, Link, Steps, Address);
        if (layout.IsLru)
        {
            EmitLruUnlink(layout, Block, Element, Steps, Link, Address);
        }
        BumpVersion(Block, Key);
        // A plain store releases on x86: the change's stores are seen before the lock is free.
        _asm.StoreImmediate(X64Width.Dword, Lock, 0, 0);
        _asm.Alu(X64AluOperation.Xor, X64Width.Dword, X64Register.Rax, X64Register.Rax);
        _asm.Jmp(done);

        _asm.Bind(absent);
        _asm.StoreImmediate(X64Width.Dword, Lock, 0, 0);
        _asm.MovImmediate(X64Register.Rax, -Errno.ENOENT);
        _asm.Jmp(done);

        // An index out of range or a walk longer than the map, which the lock rules out: the helper answers.
        _asm.Bind(broken);
        _asm.StoreImmediate(X64Width.Dword, Lock, 0, 0);
        _asm.Bind(call);
        EmitHelperCall(helper, i);
        _asm.Bind(done);
        ClearScratchAfterCall();
        return true;
    }

    /// <summary>
    /// HashMap.Unlink's chain part, with the version odd: <paramref name="element"/> taken out of its chain
    /// (the word at <paramref name="link"/>, its bucket's or its predecessor's next word, pointed past it),
    /// its hash marked free, pushed on the free list, the count lowered. Uses <paramref name="scratch"/> and <paramref name="address"/>.
    /// </summary>
    private void EmitFreeElement(InlineLookup layout, X64Register block, X64Register element, X64Register link, X64Register scratch, X64Register address)
    {
        ElementAddress(address, element, 4, block);
        _asm.Load(X64Width.Dword, scratch, address, (int)layout.NextOffset);
        _asm.Store(X64Width.Dword, link, 0, scratch);
        _asm.StoreImmediate(X64Width.Dword, address, (int)layout.HashesOffset, InlineLookup.FreeHash);
        _asm.Load(X64Width.Dword, scratch, block, InlineLookup.HashFreeOffset);
        _asm.Store(X64Width.Dword, address, (int)layout.NextOffset, scratch);
        _asm.Store(X64Width.Dword, block, InlineLookup.HashFreeOffset, element);
        _asm.Load(X64Width.Dword, scratch, block, InlineLookup.HashCountOffset);
        _asm.Alu(X64AluOperation.Sub, X64Width.Dword, scratch, 1);
        _asm.Store(X64Width.Dword, block, InlineLookup.HashCountOffset, scratch);
    }

    /// <summary>The map's version (the block's first word) raised by one through <paramref name="scratch"/>: odd before a change, even after.</summary>
    private void BumpVersion(X64Register block, X64Register scratch)
    {
        _asm.Load(X64Width.Dword, scratch, block, 0);
        _asm.Alu(X64AluOperation.Add, X64Width.Dword, scratch, 1);
        _asm.Store(X64Width.Dword, block, 0, scratch);
    }
}
