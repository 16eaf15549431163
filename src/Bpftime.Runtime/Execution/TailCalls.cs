namespace Bpftime.Execution;

/// <summary>
/// The tail-call contract every engine shares. bpf_tail_call (helper 12) cannot jump by itself: it asks
/// the target, an <see cref="ITailCallTarget"/>, to have its engine continue in it once the helper
/// returns. Each engine accepts only when a run of its own is active on this thread; it checks right
/// after each call of helper 12, unwinds its frames and enters the target with the original context
/// (the caller's stack and registers are gone, as in the kernel). A chain holds at most
/// <see cref="MaxChain"/> tail calls (Linux's MAX_TAIL_CALL_CNT); the next one fails and the caller
/// simply goes on.
/// </summary>
public static class TailCalls
{
    /// <summary>Tail calls one run may chain (Linux's MAX_TAIL_CALL_CNT).</summary>
    public const int MaxChain = 33;
}

/// <summary>A program that a run of its engine on the calling thread can continue in (see <see cref="TailCalls"/>).</summary>
public interface ITailCallTarget
{
    /// <summary>0 when the run active on this thread will continue in this program after the helper returns; else a negative errno.</summary>
    long ArmTailCall();
}
