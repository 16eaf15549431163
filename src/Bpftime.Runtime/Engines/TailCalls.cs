using Bpftime.Engines.X64;

namespace Bpftime.Engines;

/// <summary>
/// The tail-call entry every engine shares. bpf_tail_call (helper 12) cannot jump by itself: it asks
/// the engine of the target, through <see cref="Request"/>, to continue in that program once the
/// helper returns. Each engine accepts only when a run of its own is active on this thread; it checks
/// right after each call of helper 12, unwinds its frames and enters the target with the original
/// context (the caller's stack and registers are gone, as in the kernel). A chain holds at most
/// <see cref="MaxChain"/> tail calls (Linux's MAX_TAIL_CALL_CNT); the next one fails and the caller
/// simply goes on. Engines other than the runtime's own implement <see cref="ITailCallTarget"/>.
/// </summary>
public static class TailCalls
{
    /// <summary>Tail calls one run may chain (Linux's MAX_TAIL_CALL_CNT).</summary>
    public const int MaxChain = 33;

    /// <summary>
    /// Arms a tail call into <paramref name="target"/>: 0 when armed; -ENOENT for an empty slot;
    /// -EINVAL when no run of the target's engine is active on this thread, the chain is full, or the
    /// target cannot be entered from the running program.
    /// </summary>
    public static long Request(IBpfExecutable? target) => target switch
    {
        null => -Maps.Errno.ENOENT,
        ITailCallTarget own => own.ArmTailCall(),
        X64JitExecutable jit => X64JitExecutable.TryTailCall(jit) ? 0 : -Maps.Errno.EINVAL,
        _ => -Maps.Errno.EINVAL,
    };
}

/// <summary>A program that a run of its engine on the calling thread can continue in (see <see cref="TailCalls"/>).</summary>
public interface ITailCallTarget
{
    /// <summary>0 when the run active on this thread will continue in this program after the helper returns; else a negative errno.</summary>
    long ArmTailCall();
}
