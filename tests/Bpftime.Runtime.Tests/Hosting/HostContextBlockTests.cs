using Bpftime.Helpers;
using Bpftime.Hosting;
using Bpftime.Objects;
using Bpftime.Verification;

namespace Bpftime.Tests.Hosting;

/// <summary>
/// XDP frames and socket buffers hand programs a block below 4 GiB. Once disposed, nothing of theirs may
/// give out the freed address (a program run on it would read or write whatever is mapped there next),
/// and the frame's trusted bounds must be gone with it.
/// </summary>
public class HostContextBlockTests
{
    [Fact]
    public void DisposedSocketBufferGivesOutNoAddress()
    {
        var buffer = new SocketBuffer(capacity: 1500);
        buffer.SetPacket([1, 2, 3]);
        buffer.Dispose();
        foreach (var use in new Action[] { () => _ = buffer.Context, () => _ = buffer.Packet.Length, () => buffer.SetPacket([4]), () => _ = buffer.Mark, () => buffer.Priority = 1, () => buffer.RestoreBounds() })
        {
            var error = Assert.Throws<ObjectDisposedException>(use);
            Assert.Equal(typeof(SocketBuffer).FullName, error.ObjectName);
        }
        buffer.Dispose();
    }

    [Fact]
    public void DisposedXdpFrameGivesOutNoAddressAndForgetsItsBounds()
    {
        var frame = new XdpFrame(capacity: 1500);
        frame.SetPacket([1, 2, 3]);
        var context = frame.Context;
        Assert.True(XdpFrameBounds.TryGet((ulong)context, out _, out _));
        frame.Dispose();
        Assert.False(XdpFrameBounds.TryGet((ulong)context, out _, out _));
        foreach (var use in new Action[] { () => _ = frame.Context, () => _ = frame.Packet.Length, () => frame.SetPacket([4]), () => _ = frame.IngressIfindex, () => frame.SetEgress(2) })
        {
            var error = Assert.Throws<ObjectDisposedException>(use);
            Assert.Equal(typeof(XdpFrame).FullName, error.ObjectName);
        }
        frame.Dispose();
    }

    [Theory]
    [InlineData(1, 4096)]
    [InlineData(3840, 4096)]
    [InlineData(3841, 8192)]
    [InlineData(65536, 69632)]
    public void SocketBufferBlockIsWholePagesHoldingStructAndPacket(int capacity, ulong expected)
    {
        using var buffer = new SocketBuffer(capacity);
        Assert.Equal(expected, buffer.ContextLength);
        Assert.True((ulong)buffer.Context + buffer.ContextLength <= uint.MaxValue);
        var packet = Enumerable.Range(0, capacity).Select(i => (byte)i).ToArray();
        buffer.SetPacket(packet);
        Assert.Equal(packet, buffer.Packet.ToArray());
    }

    [Fact]
    public void XdpFrameBlockIsWholePagesAndItsBoundsCoverHeadroomAndCapacity()
    {
        using var frame = new XdpFrame(capacity: 5000, headroom: 256);
        Assert.Equal(0UL, frame.ContextLength % 4096);
        Assert.True(XdpFrameBounds.TryGet((ulong)frame.Context, out var start, out var end));
        Assert.Equal((ulong)frame.Context + (ulong)XdpLayout.FrameOffset, start);
        Assert.Equal((ulong)frame.Context + frame.ContextLength, end);
        Assert.True(end - start >= 256 + 5000);
        frame.SetPacket(new byte[5000]);
        Assert.Equal(5000, frame.Packet.Length);
    }
}

/// <summary>
/// The build proves native code for a context and records it; the loader proves it again for the same
/// recorded context when the host's .rodata differs. Both take the options from VerifierOptions.ForNativeCode;
/// here is what the verifier then sees for each recorded context.
/// </summary>
public class NativeCodeVerifierOptionsTests
{
    [Theory]
    [InlineData(false, false, 0)]
    [InlineData(true, false, 64)]
    [InlineData(false, true, 64)]
    [InlineData(true, true, 0)]
    public void XdpIsAlwaysLinuxXdpMd(bool socketBuffer, bool memoryWithLength, int size)
    {
        var options = VerifierOptions.ForNativeCode(ProgramType.Xdp, socketBuffer, memoryWithLength, size, null, false);
        Assert.Same(ContextLayout.Xdp, BpfVerifier.ContextFor(ProgramType.Xdp, options));
        Assert.False(options.ContextLengthInR2);
    }

    [Theory]
    [InlineData(ProgramType.SocketFilter)]
    [InlineData(ProgramType.SchedClassifier)]
    [InlineData(ProgramType.SchedAction)]
    public void SocketBufferIsLinuxSkBuffOfTheTypeEvenWithLengthAsked(ProgramType type)
    {
        var options = VerifierOptions.ForNativeCode(type, socketBuffer: true, memoryWithLength: true, contextSize: 64, null, false);
        var layout = BpfVerifier.ContextFor(type, options);
        Assert.NotNull(LinuxContexts.For(type));
        Assert.Same(LinuxContexts.For(type), layout);
        Assert.False(layout.IsRawMemory);
        Assert.False(options.ContextLengthInR2);
        Assert.Equal(0, options.ContextSize);
    }

    [Theory]
    [InlineData(ProgramType.SchedClassifier)]
    [InlineData(ProgramType.Kprobe)]
    [InlineData(ProgramType.Unspecified)]
    public void RawMemoryIsGivenAsSuchWithAnyLengthInR2(ProgramType type)
    {
        var options = VerifierOptions.ForNativeCode(type, socketBuffer: false, memoryWithLength: false, contextSize: 64, null, false);
        var layout = BpfVerifier.ContextFor(type, options);
        Assert.True(layout.IsRawMemory);
        Assert.Equal(64, layout.Size);
        Assert.True(options.VariableContextLength);
        Assert.False(options.ContextLengthInR2);
    }

    [Fact]
    public void MemoryWithLengthPromisesNoSizeButR2()
    {
        var options = VerifierOptions.ForNativeCode(ProgramType.Kprobe, socketBuffer: false, memoryWithLength: true, contextSize: 64, null, false);
        var layout = BpfVerifier.ContextFor(ProgramType.Kprobe, options);
        Assert.True(layout.IsRawMemory);
        Assert.Equal(0, layout.Size);
        Assert.True(options.ContextLengthInR2);
        Assert.False(options.VariableContextLength);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void HelpersAndTerminationRuleArePassedAndUnreachableCodeIsNotWarnedOf(bool requireTermination)
    {
        var helpers = StandardHelpers.CreateDefault();
        var options = VerifierOptions.ForNativeCode(ProgramType.Kprobe, false, false, 16, helpers, requireTermination);
        Assert.Same(helpers, options.Helpers);
        Assert.Equal(requireTermination, options.RequireTermination);
        Assert.False(options.WarnUnreachable);
    }
}
