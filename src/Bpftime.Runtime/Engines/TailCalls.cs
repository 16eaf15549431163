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

/// <summary>A program an engine can run once from its entry; <see cref="TailCallChain{T}"/> strings such runs together.</summary>
internal interface ITailCallRunnable
{
    /// <summary>Whether the program can still be entered (not disposed).</summary>
    bool CanBeEntered { get; }

    ulong RunOnce(nint context, ulong contextLength);
}

/// <summary>
/// The tail-call loop of engines whose programs return to managed code when a tail call is armed:
/// run, and while the run armed a target, continue in it with the same context. One chain per engine
/// type and thread; nested runs (a helper running another program) keep their own chain.
/// </summary>
internal static class TailCallChain<T>
    where T : class, ITailCallRunnable
{
    [ThreadStatic]
    private static int t_runs;

    [ThreadStatic]
    private static T? t_target;

    [ThreadStatic]
    private static int t_count;

    public static ulong Run(T first, nint context, ulong contextLength)
    {
        t_runs++;
        var previousTarget = t_target;
        var previousCount = t_count;
        t_target = null;
        t_count = 0;
        try
        {
            var current = first;
            while (true)
            {
                var r0 = current.RunOnce(context, contextLength);
                if (t_target is not { } next)
                {
                    return r0;
                }
                // The caller has unwound: continue in the target with the same context, as a tail call does.
                t_target = null;
                current = next;
            }
        }
        finally
        {
            t_target = previousTarget;
            t_count = previousCount;
            t_runs--;
        }
    }

    /// <summary>Whether a tail call is armed on this thread: the running program must return at once.</summary>
    public static bool IsArmed => t_target is not null;

    /// <summary>0 when the run of this engine active on the thread will continue in <paramref name="target"/>; else -EINVAL.</summary>
    public static long Arm(T target)
    {
        if (t_runs == 0 || !target.CanBeEntered || t_count >= TailCalls.MaxChain)
        {
            return -Maps.Errno.EINVAL;
        }
        t_count++;
        t_target = target;
        return 0;
    }
}
