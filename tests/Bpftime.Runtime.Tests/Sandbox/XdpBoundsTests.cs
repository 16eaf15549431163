using Bpftime.Diagnostics;
using Bpftime.Helpers;
using Bpftime.Hosting;
using Bpftime.Isa;
using Bpftime.Maps;
using Bpftime.Tests.Maps;
using static Bpftime.Tests.Engines.X64.Bpf;

namespace Bpftime.Tests.Sandbox;

/// <summary>
/// An XDP program may write its whole context block, xdp_md included. It rewrites data, data_end,
/// data_meta and the words after xdp_md (where the frame's bounds used to live) to point at another
/// frame's packet below 4 GiB, then asks the packet helpers to grow or move the packet: they must
/// refuse (-EINVAL) and leave the other frame's bytes as they were.
/// </summary>
public sealed unsafe class XdpBoundsTests
{
    private const int Victim = 0xaa;

    /// <summary>ctx->data_meta = meta, data = data, data_end = end, then the old bound words = the victim's, then helper(ctx, delta).</summary>
    private static Instruction[] Rewrite(uint meta, uint data, uint end, uint victimStart, uint victimEnd, int helper, int delta) => Program(
        Mov64Reg(6, 1),
        Mov64(2, unchecked((int)data)), Stx(MemorySize.Word, 6, 2, 0),
        Mov64(2, unchecked((int)end)), Stx(MemorySize.Word, 6, 2, 4),
        Mov64(2, unchecked((int)meta)), Stx(MemorySize.Word, 6, 2, 8),
        Mov64(2, unchecked((int)victimStart)), Stx(MemorySize.Word, 6, 2, 24),
        Mov64(2, unchecked((int)victimEnd)), Stx(MemorySize.Word, 6, 2, 28),
        Mov64(2, unchecked((int)0x42445058)), Stx(MemorySize.Word, 6, 2, 32),
        Mov64Reg(1, 6),
        Mov64(2, delta),
        Call(helper),
        Exit());

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void AdjustTailStaysInsideTheFrame(string engine)
    {
        using var victim = new XdpFrame(capacity: 64);
        victim.SetPacket(Enumerable.Repeat((byte)Victim, 64).ToArray());
        using var frame = new XdpFrame(capacity: 64);
        frame.SetPacket(new byte[20]);
        var target = (uint)(nint)Address(victim.Packet);
        using var program = TestEngines.Load(engine, Rewrite(target, target, target, target, target + 64, HelperIds.XdpAdjustTail, 32), [], StandardHelpers.CreateXdp(TraceSink.Discard));

        var result = program.Execute(frame.Context, frame.ContextLength);

        Assert.Equal(unchecked((ulong)-Errno.EINVAL), result);
        Assert.True(victim.Packet.IndexOfAnyExcept((byte)Victim) < 0, "another frame's packet changed");
        Assert.Equal(DiagnosticCodes.XdpFrameCorrupt, Assert.Throws<BpfException>(() => frame.Packet.Length).Code);
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void AdjustHeadStaysInsideTheFrame(string engine)
    {
        using var victim = new XdpFrame(capacity: 64);
        victim.SetPacket(Enumerable.Repeat((byte)Victim, 64).ToArray());
        using var frame = new XdpFrame(capacity: 64);
        frame.SetPacket(new byte[20]);
        var target = (uint)(nint)Address(victim.Packet);
        // 32 bytes of "metadata" at the victim's start would move by 8 bytes.
        using var program = TestEngines.Load(engine, Rewrite(target, target + 32, target + 64, target, target + 64, HelperIds.XdpAdjustHead, 8), [], StandardHelpers.CreateXdp(TraceSink.Discard));

        var result = program.Execute(frame.Context, frame.ContextLength);

        Assert.Equal(unchecked((ulong)-Errno.EINVAL), result);
        Assert.True(victim.Packet.IndexOfAnyExcept((byte)Victim) < 0, "another frame's packet changed");
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void APacketHelperAdjustsOnlyTheFrameItRunsOn(string engine)
    {
        using var victim = new XdpFrame(capacity: 64);
        victim.SetPacket(Enumerable.Repeat((byte)Victim, 40).ToArray());
        using var frame = new XdpFrame(capacity: 64);
        frame.SetPacket(new byte[20]);
        // adjust_tail(other frame's context, +16).
        var code = Program(LdImm64(1, (long)victim.Context), Mov64(2, 16), Call(HelperIds.XdpAdjustTail), Exit());
        using var program = TestEngines.Load(engine, code, [], StandardHelpers.CreateXdp(TraceSink.Discard));

        Assert.Equal(unchecked((ulong)-Errno.EINVAL), program.Execute(frame.Context, frame.ContextLength));
        Assert.Equal(40, victim.Packet.Length);
    }

    private static nint Address(Span<byte> span)
    {
        fixed (byte* p = span)
        {
            return (nint)p;
        }
    }
}
