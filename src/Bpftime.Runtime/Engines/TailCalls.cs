namespace Bpftime.Engines;

/// <summary>
/// The tail-call mechanism every engine shares. bpf_tail_call (helper 12) cannot jump by itself:
/// it asks the engine run active on this thread, through <see cref="Request"/>, to continue in another
/// program once the helper returns. The engine checks for that right after each call of helper 12,
/// unwinds its frames and enters the target with the original context; the stack and registers of the
/// caller are gone, as in the kernel. A chain holds at most <see cref="MaxChain"/> tail calls (the
/// kernel's MAX_TAIL_CALL_CNT); the next one fails and the caller simply goes on.
/// </summary>
public static class TailCalls
{
    /// <summary>Tail calls one run may chain (Linux's MAX_TAIL_CALL_CNT).</summary>
    public const int MaxChain = 33;

    [ThreadStatic]
    private static ITailCallSite? t_site;

    /// <summary>
    /// Arms a tail call into <paramref name="target"/> for the run active on this thread: 0 when armed,
    /// -ENOENT for an empty slot or no active run, -E2BIG past the chain limit, -EINVAL when the
    /// target runs on another engine or cannot be entered from this run.
    /// </summary>
    public static long Request(IBpfExecutable? target)
    {
        if (target is null || t_site is not { } site)
        {
            return -Maps.Errno.ENOENT;
        }
        return site.Arm(target);
    }

    /// <summary>Makes <paramref name="site"/> the run that tail calls on this thread arm; returns the one it replaces (restore it after the run).</summary>
    internal static ITailCallSite? Enter(ITailCallSite? site)
    {
        var previous = t_site;
        t_site = site;
        return previous;
    }
}

/// <summary>An engine run that can continue in another program when helper 12 asks it to.</summary>
internal interface ITailCallSite
{
    long Arm(IBpfExecutable target);
}
