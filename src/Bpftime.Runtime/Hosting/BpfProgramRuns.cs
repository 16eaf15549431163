using System.Runtime.CompilerServices;

namespace Bpftime.Hosting;

/// <summary>Ways to run a program on the contexts hosts have: XDP frames, socket buffers and structs passed by reference.</summary>
public static unsafe class BpfProgramRuns
{
    [ThreadStatic]
    private static XdpFrame? t_frame;

    [ThreadStatic]
    private static SocketBuffer? t_socketBuffer;

    /// <summary>Runs an XDP program on <paramref name="frame"/>; the frame then holds the packet as the program left it. Other programs are refused (BPF4117).</summary>
    public static XdpAction RunXdp(this BpfProgram program, XdpFrame frame)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(frame);
        Helpers.XdpHelpers.TakeRedirect();
        var action = (XdpAction)(uint)program.RunXdpFrame(frame.Context, frame.ContextLength);
        var egress = Helpers.XdpHelpers.TakeRedirect();
        frame.SetEgress(action == XdpAction.Redirect ? egress : 0);
        return action;
    }

    /// <summary>Runs an XDP program on a copy of <paramref name="packet"/> in this thread's frame; returns the verdict and the resulting packet.</summary>
    public static XdpResult RunXdp(this BpfProgram program, ReadOnlySpan<byte> packet, uint ingressIfindex = 1)
    {
        var frame = t_frame ??= new XdpFrame(capacity: 9216);
        frame.SetPacket(packet);
        frame.IngressIfindex = ingressIfindex;
        var action = program.RunXdp(frame);
        return new XdpResult(action, frame.Packet.ToArray(), frame.EgressIfindex);
    }

    /// <summary>
    /// Runs a socket filter or tc program loaded for a socket buffer (one that uses ld_abs / ld_ind) on
    /// <paramref name="buffer"/>; returns r0 (a socket filter's bytes to keep, a tc program's TC_ACT_*
    /// verdict). The buffer then holds the packet and fields as the program left them. Programs loaded
    /// for another context are refused (BPF4117).
    /// </summary>
    public static ulong RunSocketBuffer(this BpfProgram program, SocketBuffer buffer)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(buffer);
        buffer.RestoreBounds();
        return program.RunSocketBufferContext(buffer.Context, buffer.ContextLength);
    }

    /// <summary>Runs on a copy of <paramref name="packet"/> in this thread's socket buffer (see <see cref="RunSocketBuffer(BpfProgram, SocketBuffer)"/>); returns r0.</summary>
    public static ulong RunSocketBuffer(this BpfProgram program, ReadOnlySpan<byte> packet)
    {
        var buffer = t_socketBuffer ??= new SocketBuffer();
        buffer.SetPacket(packet);
        return program.RunSocketBuffer(buffer);
    }

    /// <summary>
    /// Runs on a copy of <paramref name="data"/> padded with zeros to at least the program's
    /// <see cref="BpfProgram.ContextSize"/>, with r2 = the length of <paramref name="data"/>: for programs
    /// verified for a fixed amount of raw memory that take the length of what it holds in r2. Writes the
    /// program makes go to the copy. XDP and host-struct programs are refused (BPF4117).
    /// </summary>
    public static ulong RunOnCopy(this BpfProgram program, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(program);
        var size = Math.Max(program.ContextSize, data.Length);
        Span<byte> buffer = size <= 512 ? stackalloc byte[size] : new byte[size];
        buffer.Clear();
        data.CopyTo(buffer);
        fixed (byte* pointer = buffer)
        {
            return program.RunPadded((nint)pointer, (ulong)size, (ulong)data.Length);
        }
    }

    /// <summary>
    /// Runs with r1 = the address of <paramref name="context"/> and r2 = its size; the program may read
    /// and write it. The struct must be at least the raw memory the program was verified for, or
    /// exactly the size of its host struct; XDP programs are refused (BPF4117).
    /// </summary>
    public static ulong Run<TContext>(this BpfProgram program, ref TContext context)
        where TContext : unmanaged
    {
        ArgumentNullException.ThrowIfNull(program);
        fixed (TContext* pointer = &context)
        {
            return program.RunStruct((nint)pointer, (ulong)sizeof(TContext), null);
        }
    }

    /// <summary>
    /// Runs with a context whose layout the host declared: the struct's size must match, and fields
    /// declared read-only that the program changed are restored and reported (BPF4236).
    /// </summary>
    public static ulong Run<TContext>(this BpfProgram program, ref TContext context, BpfContextType type)
        where TContext : unmanaged
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(type);
        type.CheckSize(Unsafe.SizeOf<TContext>());
        fixed (TContext* pointer = &context)
        {
            var bytes = new Span<byte>(pointer, sizeof(TContext));
            var guarded = BpfContextType.SnapshotReadOnly(bytes);
            var result = program.RunStruct((nint)pointer, (ulong)sizeof(TContext), type);
            type.CheckReadOnly(bytes, guarded, program.Name);
            return result;
        }
    }
}
