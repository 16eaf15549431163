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
