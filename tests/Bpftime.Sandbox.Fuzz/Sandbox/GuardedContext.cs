using System.Buffers.Binary;
using Bpftime.Helpers;

namespace Bpftime.Sandbox.Fuzz.Sandbox;

/// <summary>
/// The memory a program gets as its context: one read-write page between two PROT_NONE pages, the context
/// in its middle and canary words in the rest of the page. A stray write near the context changes a canary;
/// one farther away hits a guard page and ends the process (the parent sees which program did it).
/// Raw contexts are <see cref="RawLength"/> bytes; XDP contexts are a native frame as
/// <see cref="XdpLayout"/> describes, below 2 GiB so that xdp_md's u32 fields hold real addresses.
/// </summary>
internal sealed unsafe class GuardedContext : IDisposable
{
    public const int RawLength = 64;
    public const int XdpHeadroom = 256;
    public const int XdpCapacity = 256;
    public const int XdpPacketLength = 64;
    public const int XdpLength = XdpLayout.FrameOffset + XdpHeadroom + XdpCapacity;

    private const int ContextOffset = 2048;

    private readonly nint _page;

    public GuardedContext()
    {
        _page = NativePages.AllocateGuarded(1);
    }

    public nint Start => _page + ContextOffset;

    public int Length { get; private set; }

    /// <summary>The whole read-write page (context and canaries), for the host-pointer rule's handed regions.</summary>
    public nint Page => _page;

    /// <summary>Rewrites the canaries and fills the context for the next run.</summary>
    public void Prepare(bool xdp, int seed)
    {
        Length = xdp ? XdpLength : RawLength;
        Canary.Fill(_page, NativePages.PageSize);
        var context = new Span<byte>((void*)Start, Length);
        new Random(seed ^ 0x5eed).NextBytes(context);
        if (xdp)
        {
            context[..XdpLayout.FrameOffset].Clear();
            var start = (uint)Start;
            var data = start + XdpLayout.FrameOffset + XdpHeadroom;
            BinaryPrimitives.WriteUInt32LittleEndian(context[XdpLayout.Data..], data);
            BinaryPrimitives.WriteUInt32LittleEndian(context[XdpLayout.DataEnd..], data + XdpPacketLength);
            BinaryPrimitives.WriteUInt32LittleEndian(context[XdpLayout.DataMeta..], data);
            BinaryPrimitives.WriteUInt32LittleEndian(context[XdpLayout.IngressIfindex..], 1);
            // The frame's bounds live with the runtime, out of the program's reach.
            XdpFrameBounds.Register(Start, start + XdpLayout.FrameOffset, start + (uint)XdpLength);
        }
        else
        {
            XdpFrameBounds.Unregister(Start);
        }
    }

    /// <summary>The first canary word beside the context that changed, or null.</summary>
    public (nint Address, ulong Found)? CheckCanaries()
    {
        var before = Canary.FirstChange(_page, ContextOffset);
        if (before is not null)
        {
            return before;
        }
        var after = Start + Length;
        return Canary.FirstChange(after, (int)(_page + NativePages.PageSize - after));
    }

    public void Dispose()
    {
        XdpFrameBounds.Unregister(Start);
        NativePages.FreeGuarded(_page, 1);
    }
}
