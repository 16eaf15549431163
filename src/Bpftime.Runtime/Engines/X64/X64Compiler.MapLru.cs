using Bpftime.Maps;

namespace Bpftime.Engines.X64;

/// <summary>
/// The recency list of an LRU hash map, kept by the code under the map's lock as
/// <see cref="HashMap"/>'s own methods keep it: per element a previous (hotter) and a next (colder)
/// index after the values (<see cref="InlineLookup.LruLinksOffset"/>), the hot and cold ends in the
/// block's header. Used by the inline update (a key present moves to the hot end, a key inserted is
/// linked there) and delete (the element unlinked). Only the lock holder reads or writes the list.
/// </summary>
internal sealed partial class X64Compiler
{
    /// <summary>Where an LRU map's recency links start in its block with this process's slot count, or -1 when the links lie beyond a 32-bit displacement.</summary>
    private static long LruLinksDisplacement(InlineLookup layout)
    {
        var links = layout.LruLinksOffset((ulong)PerCpu.SlotCount);
        return links + ((ulong)InlineLookup.LruLinkBytes * layout.MaxEntries) <= int.MaxValue ? (long)links : -1;
    }

    /// <summary>
    /// HashMap.UnlinkRecency: <paramref name="element"/>'s neighbours linked to each other, or the list's
    /// hot or cold end moved past it. Uses <paramref name="previous"/>, <paramref name="next"/>, <paramref name="address"/>.
    /// </summary>
    private void EmitLruUnlink(InlineLookup layout, X64Register block, X64Register element, X64Register previous, X64Register next, X64Register address)
    {
        var links = (int)LruLinksDisplacement(layout);
        ElementAddress(address, element, InlineLookup.LruLinkBytes, block);
        _asm.Load(X64Width.Dword, previous, address, links);
        _asm.Load(X64Width.Dword, next, address, links + 4);
        EmitLruLinkOrEnd(block, previous, links + 4, InlineLookup.LruHeadOffset, next, address);
        EmitLruLinkOrEnd(block, next, links, InlineLookup.LruTailOffset, previous, address);
    }

    /// <summary>HashMap.LinkFront: <paramref name="element"/> marked not referenced and linked at the hot end. Uses <paramref name="head"/> and <paramref name="address"/>.</summary>
    private void EmitLruLinkHot(InlineLookup layout, X64Register block, X64Register element, X64Register head, X64Register address)
    {
        var links = (int)LruLinksDisplacement(layout);
        ElementAddress(address, element, 1, block);
        _asm.StoreImmediate(X64Width.Byte, address, (int)layout.ReferencedOffset, 0);
        _asm.Load(X64Width.Dword, head, block, InlineLookup.LruHeadOffset);
        ElementAddress(address, element, InlineLookup.LruLinkBytes, block);
        _asm.StoreImmediate(X64Width.Dword, address, links, InlineLookup.HashEnd);
        _asm.Store(X64Width.Dword, address, links + 4, head);
        // The old hot end's previous link, or for an empty list its cold end (both ends are empty together).
        EmitLruLinkOrEnd(block, head, links, InlineLookup.LruTailOffset, element, address);
        _asm.Store(X64Width.Dword, block, InlineLookup.LruHeadOffset, element);
    }

    /// <summary>
    /// HashMap.Allocate on a full LRU map, under the lock with the version odd: from the cold end,
    /// referenced elements get their second chance (unmarked and moved to the hot end, at most the
    /// count of them), then the cold end is evicted: unlinked from its chain (found by walking it) and
    /// from the recency list, marked free, pushed on the free list (whose head <paramref name="element"/>
    /// then is), the count lowered; the insertion then takes it as any free element. The structures are
    /// the lock holder's alone, so the walks trust them as HashMap's do. Uses rax, rsi, rdi, r9.
    /// </summary>
    private void EmitLruEvict(InlineLookup layout, X64Register block, X64Register element)
    {
        const X64Register Address = X64Register.Rax;
        const X64Register Chances = X64Register.Rsi;
        const X64Register Link = X64Register.Rsi;
        const X64Register Other = X64Register.Rdi;
        const X64Register Spare = X64Register.R9;
        var look = _asm.CreateLabel();
        var chosen = _asm.CreateLabel();
        var walk = _asm.CreateLabel();
        var found = _asm.CreateLabel();
        _asm.Load(X64Width.Dword, element, block, InlineLookup.LruTailOffset);
        _asm.Alu(X64AluOperation.Xor, X64Width.Dword, Chances, Chances);
        _asm.Bind(look);
        ElementAddress(Address, element, 1, block);
        _asm.Load(X64Width.Byte, Other, Address, (int)layout.ReferencedOffset);
        _asm.Test(X64Width.Dword, Other, Other);
        _asm.Jcc(X64Condition.Equal, chosen);
        _asm.AluLoad(X64AluOperation.Cmp, X64Width.Dword, Chances, block, InlineLookup.HashCountOffset);
        _asm.Jcc(X64Condition.GreaterOrEqual, chosen);
        EmitLruUnlink(layout, block, element, Other, Spare, Address);
        EmitLruLinkHot(layout, block, element, Other, Address);
        _asm.Load(X64Width.Dword, element, block, InlineLookup.LruTailOffset);
        _asm.Alu(X64AluOperation.Add, X64Width.Dword, Chances, 1);
        _asm.Jmp(look);

        // The word that links the victim: its bucket's, or its predecessor's next word.
        _asm.Bind(chosen);
        ElementAddress(Address, element, 4, block);
        _asm.Load(X64Width.Dword, Other, Address, (int)layout.HashesOffset);
        _asm.Alu(X64AluOperation.And, X64Width.Dword, Other, layout.BucketCount - 1);
        ElementAddress(Address, Other, 4, block);
        _asm.Lea(Link, Address, (int)InlineLookup.BucketsOffset);
        _asm.Bind(walk);
        _asm.Load(X64Width.Dword, Other, Link, 0);
        _asm.Alu(X64AluOperation.Cmp, X64Width.Dword, Other, element);
        _asm.Jcc(X64Condition.Equal, found);
        ElementAddress(Address, Other, 4, block);
        _asm.Lea(Link, Address, (int)layout.NextOffset);
        _asm.Jmp(walk);

        _asm.Bind(found);
        EmitFreeElement(layout, block, element, Link, Other, Address);
        EmitLruUnlink(layout, block, element, Other, Spare, Address);
    }

    /// <summary>Stores <paramref name="value"/> in the link at <paramref name="displacement"/> of element <paramref name="owner"/>, or in the header word <paramref name="end"/> when the owner is <see cref="InlineLookup.HashEnd"/>.</summary>
    private void EmitLruLinkOrEnd(X64Register block, X64Register owner, int displacement, int end, X64Register value, X64Register address)
    {
        var linked = _asm.CreateLabel();
        var stored = _asm.CreateLabel();
        _asm.Alu(X64AluOperation.Cmp, X64Width.Dword, owner, InlineLookup.HashEnd);
        _asm.Jcc(X64Condition.NotEqual, linked);
        _asm.Store(X64Width.Dword, block, end, value);
        _asm.Jmp(stored);
        _asm.Bind(linked);
        ElementAddress(address, owner, InlineLookup.LruLinkBytes, block);
        _asm.Store(X64Width.Dword, address, displacement, value);
        _asm.Bind(stored);
    }
}
